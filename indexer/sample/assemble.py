"""Turn the hand-written threads and entries into dated, attributed drafts (seeded, no clock)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.records import Person
from indexer.sample.people import DEPARTURES
from indexer.sample.posts import COMMENTS
from indexer.sample.spec import (
    ASKER,
    COLLEAGUE,
    EXPERT,
    FIRST_ANSWERER,
    OTHER_EXPERT,
    TOPIC_GROUP,
    Entry,
    Reply,
    Thread,
    Topic,
)

BASE_DATE = datetime(2026, 1, 5, tzinfo=UTC)
SPAN_DAYS = 540  # about eighteen months
SEED = 20260105

OPENERS = {"fr": ("Bonjour {first},", "Salut {first} !", "Hello {first},", "Bonjour,"),
           "en": ("Hi {first},", "Hello,", "Hi {first}!", "Good question.")}
CLOSERS = {"fr": ("Bon courage !", "Dis-moi si ça marche.", "N’hésite pas si besoin."),
           "en": ("Hope this helps.", "Let me know if it works.", "Shout if you get stuck.")}
# Chance that a post of each kind gets generic comments.
COMMENT_CHANCE = {"question": 0.2, "answer": 0.14, "article": 0.6, "post": 0.45, "event": 0.5}


@dataclass
class Draft:
    """A post before ids are assigned; ``source`` is light markup."""

    key: str
    author: str
    created: datetime
    group: str | None
    kind: str
    lang: str
    source: str
    title: str = ""
    tags: tuple[str, ...] = ()
    parent: str | None = None
    accepted: str | None = None
    reactions: int = 0
    score: int = 0
    fmt: str | None = None
    updated: datetime | None = None
    expert_answer: bool = False


@dataclass
class CommentDraft:
    """A comment before ids are assigned."""

    key: str
    target: str
    author: str
    created: datetime
    group: str | None
    lang: str
    source: str
    reactions: int = 0
    score: int = 0


def speaks(person: Person, lang: str) -> bool:
    """Whether ``person`` can write in ``lang`` (unknown languages: assume yes)."""
    return lang == "mixed" or not person.languages or lang in person.languages


class Assembler:
    """Accumulates drafts; every random choice comes from one seeded generator, in a fixed order."""

    def __init__(self, people: dict[str, Person], members: dict[str | None, list[str]]) -> None:
        self.rng = random.Random(SEED)
        self.people = people
        self.members = members  # group id (None: company feed) -> who may comment there
        self.posts: list[Draft] = []
        self.comments: list[CommentDraft] = []

    # --- people
    def _active(self, pid: str, when: datetime) -> bool:
        return pid not in DEPARTURES or when < DEPARTURES[pid]

    def _pick_expert(self, topic: Topic, lang: str, when: datetime,
                     exclude: set[str]) -> str | None:
        names = [pid for pid in topic.experts if pid not in exclude
                 and speaks(self.people[pid], lang) and self._active(pid, when)]
        if not names:
            return None
        return self.rng.choices(names, weights=[topic.experts[n] for n in names])[0]

    def _pick_asker(self, topic: Topic, lang: str) -> str:
        return self.rng.choice([pid for pid in topic.askers if speaks(self.people[pid], lang)])

    def _pick_colleague(self, topic: Topic, lang: str, exclude: set[str]) -> str:
        pool = [pid for pid in (topic.crowd or topic.askers) if pid not in exclude
                and pid not in topic.experts and speaks(self.people[pid], lang)]
        return self.rng.choice(pool)

    def _resolve(self, reply: Reply, topic: Topic, lang: str, when: datetime, asker: str,
                 answerers: list[str]) -> str:
        exclude = {asker, *answerers}
        if reply.who in (EXPERT, OTHER_EXPERT):
            expert = self._pick_expert(topic, lang, when, exclude)
            return expert or self._pick_colleague(topic, lang, exclude)
        if reply.who == COLLEAGUE:
            return self._pick_colleague(topic, lang, exclude)
        if reply.who == ASKER:
            return asker
        if reply.who == FIRST_ANSWERER:
            return answerers[0]
        return reply.who

    # --- dates
    def _day(self, days_ago: int) -> datetime:
        day = BASE_DATE - timedelta(days=days_ago)
        return day.replace(hour=self.rng.randint(7, 17), minute=self.rng.randint(0, 59))

    def _thread_date(self, thread: Thread) -> datetime:
        if thread.days:
            return self._day(self.rng.randint(*thread.days))
        departed = [DEPARTURES[r.who] for r in thread.answers if r.who in DEPARTURES]
        low = max([(BASE_DATE - d).days + 5 for d in departed], default=6)
        return self._day(self.rng.randint(low, SPAN_DAYS))

    def _after(self, moment: datetime, low_minutes: int, high_minutes: int) -> datetime:
        """A later moment, moved into office hours (07:00-19:59 UTC) and before the base date."""
        later = moment + timedelta(minutes=self.rng.randint(low_minutes, high_minutes))
        if later.hour >= 20:
            later = (later + timedelta(days=1)).replace(hour=8)
        elif later.hour < 7:
            later = later.replace(hour=7)
        return min(later, max(moment + timedelta(minutes=10), BASE_DATE - timedelta(hours=2)))

    def _maybe_updated(self, created: datetime) -> datetime | None:
        if self.rng.random() >= 0.12:
            return None
        updated = self._after(created, 60 * 24, 60 * 24 * 9)
        return updated if updated < BASE_DATE else None

    # --- threads
    def add_topic(self, topic: Topic) -> None:
        for index, thread in enumerate(topic.threads, 1):
            self.add_thread(topic, thread, f"{topic.name}#{index}")

    def add_thread(self, topic: Topic, thread: Thread, key: str) -> None:
        group = topic.group if thread.group == TOPIC_GROUP else thread.group
        created = self._thread_date(thread)
        asker = thread.asker or self._pick_asker(topic, thread.lang)
        question = Draft(key, asker, created, group, "question", thread.lang, thread.body,
                         title=thread.title, tags=thread.tags, fmt=thread.fmt,
                         reactions=self.rng.randint(0, 8), score=self.rng.randint(0, 10),
                         updated=self._maybe_updated(created))
        self.posts.append(question)
        answers: list[Draft] = []
        when = created
        for i, reply in enumerate(thread.answers):
            lang = reply.lang or thread.lang
            when = self._after(when, 25, 60 * 30)
            author = self._resolve(reply, topic, lang, when, asker, [a.author for a in answers])
            answers.append(self._answer(f"{key}/a{i}", author, when, group, lang, reply.text, topic,
                                        question))
        self.posts.extend(answers)
        self._accept(thread, topic, question, answers)
        for reply in thread.comments:
            target = question if reply.on is None else answers[reply.on]
            author = self._resolve(reply, topic, reply.lang or thread.lang, target.created, asker,
                                   [a.author for a in answers])
            self.add_comment(target, author, reply.lang or thread.lang, reply.text)

    def _answer(self, key: str, author: str, when: datetime, group: str | None, lang: str,
                text: str, topic: Topic, question: Draft) -> Draft:
        expert = author in topic.experts
        if lang in OPENERS and self.rng.random() < 0.35:
            first = self.people[question.author].name.split()[0]
            text = self.rng.choice(OPENERS[lang]).format(first=first) + "\n\n" + text
        if lang in CLOSERS and self.rng.random() < 0.25:
            text = text + "\n\n" + self.rng.choice(CLOSERS[lang])
        tags = question.tags[:2] if self.rng.random() < 0.5 else ()
        reactions = self.rng.randint(2, 18) if expert else self.rng.randint(0, 4)
        score = self.rng.randint(3, 20) if expert else self.rng.randint(0, 4)
        return Draft(key, author, when, group, "answer", lang, text, tags=tags, parent=question.key,
                     reactions=reactions, score=score, expert_answer=expert)

    def _accept(self, thread: Thread, topic: Topic, question: Draft, answers: list[Draft]) -> None:
        if isinstance(thread.accept, int):
            chosen: Draft | None = answers[thread.accept]
        elif thread.accept == "auto":
            by_experts = [a for a in answers if a.expert_answer]
            chosen = by_experts[0] if by_experts and self.rng.random() < 0.55 else None
        else:
            chosen = None
        if chosen is not None:
            question.accepted = chosen.key
            chosen.score += 5

    # --- entries and comments
    def add_entry(self, item: Entry, key: str) -> None:
        created = self._day(item.days if item.days is not None else self.rng.randint(6, SPAN_DAYS))
        low, high = {"article": (8, 60), "event": (3, 25)}.get(item.kind, (2, 30))
        draft = Draft(key, item.author, created, item.group, item.kind, item.lang, item.body,
                      title=item.title, tags=item.tags, fmt=item.fmt,
                      reactions=self.rng.randint(low, high),
                      score=self.rng.randint(low // 2, high // 2),
                      updated=self._maybe_updated(created))
        self.posts.append(draft)
        for reply in item.comments:
            self.add_comment(draft, reply.who, reply.lang or item.lang, reply.text)

    def add_comment(self, target: Draft, author: str, lang: str, text: str) -> None:
        created = self._after(target.created, 30, 60 * 40)
        key = f"{target.key}/c{len(self.comments)}"
        self.comments.append(CommentDraft(key, target.key, author, created, target.group, lang,
                                          text, self.rng.randint(0, 5), self.rng.randint(0, 3)))

    def add_generic_comments(self) -> None:
        """Short reactions on a share of the posts, from people who may read them."""
        by_key = {p.key: p for p in self.posts}
        for post in list(self.posts):
            if self.rng.random() >= COMMENT_CHANCE[post.kind]:
                continue
            category = "post" if post.kind in ("article", "post", "event") else post.kind
            lang = post.lang
            if (category, lang) not in COMMENTS:
                lang = self.rng.choice(["fr", "en"])
            used: set[str] = {c.source for c in self.comments if c.target == post.key}
            for _ in range(1 + (self.rng.random() < 0.3)):
                text = self.rng.choice([t for t in COMMENTS[(category, lang)] if t not in used])
                used.add(text)
                self.add_comment(post, self._commenter(post, by_key, lang, category), lang, text)

    def _commenter(self, post: Draft, by_key: dict[str, Draft], lang: str, category: str) -> str:
        if category == "answer" and post.parent and self.rng.random() < 0.5:
            asker = by_key[post.parent].author
            if asker != post.author and speaks(self.people[asker], lang):
                return asker
        pool = [pid for pid in self.members[post.group] if pid != post.author
                and speaks(self.people[pid], lang) and self._active(pid, BASE_DATE)]
        return self.rng.choice(pool)

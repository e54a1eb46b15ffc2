"""French and English for the pages: the browser's language, or the one picked."""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask import request, session

LANGUAGES = ("en", "fr")

# message id -> (English, French)
MESSAGES: dict[str, tuple[str, str]] = {
    "search": ("Search", "Rechercher"),
    "search_label": ("What are you looking for?", "Que cherchez-vous ?"),
    "mode": ("Mode", "Mode"),
    "lexical": ("Words", "Mots"),
    "semantic": ("Meaning", "Sens"),
    "hybrid": ("Both", "Les deux"),
    "results": ("Results", "Résultats"),
    "no_results": ("No results.", "Aucun résultat."),
    "did_you_mean": ("Did you mean", "Vouliez-vous dire"),
    "also_searched": ("Also searched for", "Recherche étendue à"),
    "instead_of": ("nothing you may read contains",
                   "rien de ce que vous pouvez lire ne contient"),
    "search_as_typed": ("Search only for what you typed",
                        "Rechercher seulement ce que vous avez tapé"),
    "accepted": ("Accepted answer", "Réponse acceptée"),
    "pinned": ("Recommended", "Recommandé"),
    "by": ("by", "par"),
    "in": ("in", "dans"),
    "facets": ("Refine", "Affiner"),
    "group": ("Group", "Groupe"),
    "author": ("Author", "Auteur"),
    "type": ("Type", "Type"),
    "tag": ("Tag", "Mot-clé"),
    "lang": ("Language", "Langue"),
    "year": ("Year", "Année"),
    "sign_in": ("Sign in", "Se connecter"),
    "sign_out": ("Sign out", "Se déconnecter"),
    "signed_in_as": ("Signed in as", "Connecté en tant que"),
    "choose_person": ("Demo: choose who you are", "Démo : choisissez qui vous êtes"),
    "no_demo": ("Sign in through your company portal: quisait trusts the identity it "
                "sends.", "Connectez-vous par le portail de l'entreprise : quisait fait "
                "confiance à l'identité qu'il transmet."),
    "guest": ("guest", "invité"),
    "replies": ("Replies", "Réponses"),
    "similar": ("Similar", "Similaires"),
    "in_thread": ("In reply to", "En réponse à"),
    "back": ("Back to search", "Retour à la recherche"),
    "official": ("Official", "Officiel"),
    # verified content: official marks with an owner and a review date
    "verification": ("Verification", "Vérification"),
    "owned_by": ("owner: {name}", "responsable : {name}"),
    "owner": ("Owner", "Responsable"),
    "review_by": ("review by", "à revoir avant le"),
    "review_overdue": ("Review overdue: no longer official", "Revue en retard : plus officiel"),
    "due_soon": ("due soon", "bientôt"),
    "mark_official": ("Mark official", "Marquer officiel"),
    "mark_reviewed": ("Reviewed: keep official", "Revu : garder officiel"),
    "mark_outdated": ("Mark outdated", "Marquer obsolète"),
    "remove_mark": ("Remove the mark", "Retirer la marque"),
    "reviews": ("Reviews", "Revues"),
    "reviews_help_km": ("Official content past or near its review date, among what you may "
                        "read. Past the date it no longer counts as official.",
                        "Contenus officiels dont la date de revue approche ou est passée, "
                        "parmi ce que vous pouvez lire. Passé la date, ils ne comptent plus "
                        "comme officiels."),
    "reviews_help": ("Official content you own or wrote whose review date is near or past.",
                     "Les contenus officiels dont vous êtes responsable ou l'auteur, à revoir "
                     "bientôt ou en retard."),
    "no_reviews": ("Nothing to review.", "Rien à revoir."),
    "item": ("Item", "Contenu"),
    "outdated": ("Outdated", "Obsolète"),
    "error": ("Something went wrong", "Une erreur est survenue"),
    "not_found": ("Nothing here, or nothing you may read.",
                  "Rien ici, ou rien que vous puissiez lire."),
    "query_error": ("This query cannot be read", "Cette requête est illisible"),
    "language": ("Language", "Langue"),
    "tagline": ("Who knows what, and where it is written",
                "Qui sait quoi, et où c'est écrit"),
    "more": ("Next page", "Page suivante"),
    "pin": ("Pin first for this query", "Épingler en tête pour cette requête"),
    # expertise
    "experts_for_query": ("Experts for this query", "Experts pour cette requête"),
    "no_experts": ("No one stands out yet.", "Personne ne se distingue encore."),
    "contact": ("Contact", "Contacter"),
    "contact_label": ("Contact {name}", "Contacter {name}"),
    "introduced": ("Introduction recorded: reach {name} through the network.",
                   "Mise en relation enregistrée : contactez {name} par le réseau."),
    "counts": ("{accepted} accepted · {answers} answers · {posts} contributions",
               "{accepted} acceptées · {answers} réponses · {posts} contributions"),
    "last_active": ("last active", "dernière activité"),
    "accepted_answer": ("accepted answer", "réponse acceptée"),
    "answer": ("answer", "réponse"),
    "question": ("question", "question"),
    "comment": ("comment", "commentaire"),
    "departed": ("has left", "a quitté l'entreprise"),
    "opted_out": ("opted out", "ne souhaite pas être suggéré"),
    "departed_note": ("{name} has left the company: their writing stays searchable, but "
                      "they are no longer suggested as an expert.",
                      "{name} a quitté l'entreprise : ses écrits restent consultables, mais "
                      "cette personne n'est plus suggérée comme experte."),
    "opted_out_note": ("{name} chose not to be suggested as an expert.",
                       "{name} a choisi de ne pas être suggéré comme expert."),
    "demonstrated": ("Demonstrated expertise", "Expertise démontrée"),
    "declared": ("Declared skills", "Compétences déclarées"),
    "declared_only": ("Declared, with nothing written on it yet",
                      "Déclaré, sans écrit sur le sujet pour l'instant"),
    # profiles people tend themselves (web.profile_pages)
    "accept_skill": ("Add to my skills", "Ajouter à mes compétences"),
    "dismiss_skill": ("Not for me", "Pas pour moi"),
    "hide_topic": ("Hide", "Masquer"),
    "show_topic": ("Show again", "Réafficher"),
    "hidden_topics": ("Hidden from your page", "Masqués de votre page"),
    "opt_out": ("Do not suggest me as an expert", "Ne pas me suggérer comme expert"),
    "opt_back_in": ("Suggest me again", "Me suggérer à nouveau"),
    "you_opted_out": ("You are not suggested as an expert.",
                      "Vous n'êtes pas suggéré comme expert."),
    "suggestions": ("Suggested for the profile", "Suggestions pour le profil"),
    "suggestions_help": ("Shown only to this person and to KM leads: subjects their "
                         "writing demonstrates that the profile does not declare.",
                         "Visible seulement par la personne et les animateurs KM : des "
                         "sujets que ses écrits démontrent et que son profil ne déclare pas."),
    "activity": ("Activity", "Activité"),
    "groups": ("Groups", "Groupes"),
    # the people directory
    "people": ("People", "Personnes"),
    "people_label": ("Find a colleague: name, title, department, site, skill or subject",
                     "Trouver un collègue : nom, fonction, service, site, compétence ou sujet"),
    "people_found": ("People found: {count}", "Personnes trouvées : {count}"),
    "no_people": ("Nobody matches.", "Personne ne correspond."),
    "clear_filters": ("Clear the filters", "Retirer les filtres"),
    "previous": ("Previous page", "Page précédente"),
    "department": ("Department", "Service"),
    "site": ("Site", "Site"),
    "group_kind": ("Groups", "Groupes"),
    "kind": ("Group kind", "Type de groupe"),
    "group_kind_project": ("Project", "Projet"),
    "group_kind_function": ("Function", "Métier"),
    "group_kind_site": ("Site", "Site"),
    "group_kind_theme": ("Theme", "Thématique"),
    "group_kind_product": ("Product", "Produit"),
    "group_kind_internet": ("Watch", "Veille"),
    "group_kind_general": ("General", "Général"),
    "similar_people": ("Similar people", "Personnes proches"),
    "items": ("items", "éléments"),
    "nothing_yet": ("Nothing yet.", "Rien pour l'instant."),
    "topics": ("Topics", "Thèmes"),
    "topic": ("Topic", "Thème"),
    "candidate_topics": ("Candidate topics (frequent, not yet covered)",
                         "Thèmes candidats (fréquents, pas encore couverts)"),
    "new_topic": ("New topic", "Nouveau thème"),
    "edit_topic": ("Edit the topic", "Modifier le thème"),
    "delete_topic": ("Delete the topic", "Supprimer le thème"),
    "save": ("Save", "Enregistrer"),
    "topic_id": ("Identifier", "Identifiant"),
    "name_fr": ("Name in French", "Nom en français"),
    "name_en": ("Name in English", "Nom en anglais"),
    "description": ("Description", "Description"),
    "synonyms": ("Synonyms (comma-separated)", "Synonymes (séparés par des virgules)"),
    "tags": ("Tags (comma-separated)", "Mots-clés (séparés par des virgules)"),
    "queries": ("Seed queries (one per line)", "Requêtes de départ (une par ligne)"),
    "experts": ("Experts", "Experts"),
    "best_content": ("Best content", "Meilleurs contenus"),
    "unanswered": ("Unanswered questions", "Questions sans réponse"),
    "coverage": ("Coverage", "Couverture"),
    "questions": ("Questions", "Questions"),
    "answered": ("Answered", "Avec réponse"),
    "answerers": ("People answering", "Personnes qui répondent"),
    "median_delay": ("Median time to a first answer (hours)",
                     "Délai médian de première réponse (heures)"),
    "top_share": ("Share of answers by the top answerer",
                  "Part des réponses du premier répondant"),
    "at_risk": ("At risk: this topic rests on one person (or nobody answers).",
                "À risque : ce thème repose sur une seule personne (ou personne ne répond)."),
    "pins": ("Pinned for this topic", "Épinglés pour ce thème"),
    "unpin": ("Unpin", "Désépingler"),
    "pin_topic": ("Pin first for this topic", "Épingler en tête pour ce thème"),
    "synonym_sets": ("Synonym sets", "Ensembles de synonymes"),
    "add_synonyms": ("Add a synonym set (comma-separated)",
                     "Ajouter un ensemble de synonymes (séparés par des virgules)"),
    "remove": ("Remove", "Retirer"),
    "ask": ("Ask", "Demander"),
    "ask_label": ("Type your question: see answered look-alikes and who to ask",
                  "Tapez votre question : questions similaires résolues et qui solliciter"),
    "ask_button": ("Find answers and people", "Trouver réponses et personnes"),
    "answered_lookalikes": ("Already answered", "Déjà résolu"),
    "who_to_ask": ("Who to ask", "Qui solliciter"),
    "no_lookalikes": ("No answered look-alike.", "Aucune question similaire résolue."),
    "ask_note": ("Nothing is posted: quisait only looks.",
                 "Rien n'est publié : quisait cherche seulement."),
    # operations (admins): worker, outbox, feeds
    "operations": ("Operations", "Exploitation"),
    "operations_help": ("For admins: the worker's last runs, undelivered notifications and "
                        "the feeds. No content is shown here.",
                        "Pour les administrateurs : derniers passages du worker, "
                        "notifications non remises et flux. Aucun contenu n'y figure."),
    "worker": ("Worker", "Worker"),
    "worker_never": ("No worker ever ran on this data folder (`quisait worker`).",
                     "Aucun worker n'a tourné sur ce dossier (`quisait worker`)."),
    "worker_running": ("running", "en marche"),
    "worker_stopped": ("stopped", "arrêté"),
    "worker_ticks": ("ticks", "passages"),
    "errors": ("errors", "erreurs"),
    "step": ("Step", "Étape"),
    "started": ("Started", "Début"),
    "outcome": ("Outcome", "Résultat"),
    "ok": ("ok", "ok"),
    "failed": ("failed", "échec"),
    "outbox": ("Outbox", "File d'envoi"),
    "outbox_never": ("No notification was ever queued.",
                     "Aucune notification n'a été mise en file."),
    "dead_letters": ("Dead letters", "Messages non remis"),
    "message_kind": ("Message", "Message"),
    "recipient": ("Recipient", "Destinataire"),
    "attempts": ("Attempts", "Tentatives"),
    "last_error": ("Last error", "Dernière erreur"),
    "requeue": ("Requeue", "Renvoyer"),
    "requeued": ("Requeued: the worker sends it at its next tick.",
                 "Remis en file : le worker l'envoie à son prochain passage."),
    "feeds": ("Feeds", "Flux"),
    "feeds_never": ("No feed (`quisait feeds add`).", "Aucun flux (`quisait feeds add`)."),
    "hidden_group": ("a group you cannot see", "un groupe que vous ne voyez pas"),
    "failures": ("Failures", "Échecs"),
    "last_polled": ("Last polled", "Dernière lecture"),
    "entries_indexed": ("Entries indexed", "Entrées indexées"),
    "status": ("Status", "État"),
    # the indicators of web.indicators
    "split_title": ("Readers, contributors, creators", "Lecteurs, contributeurs, créateurs"),
    "split_help": ("The 95/4/1 rule: creators wrote a post, question or document; "
                   "contributors only commented or answered; readers wrote nothing. Over "
                   "the groups you may read.",
                   "La règle 95/4/1 : les créateurs ont publié un message, une question ou un "
                   "document ; les contributeurs ont seulement commenté ou répondu ; les "
                   "lecteurs n'ont rien écrit. Dans les groupes que vous pouvez lire."),
    "readers": ("Readers", "Lecteurs"),
    "contributors": ("Contributors", "Contributeurs"),
    "creators": ("Creators", "Créateurs"),
    "split_by_kind": ("By group kind", "Par type de groupe"),
    "split_by_group": ("By group", "Par groupe"),
    "top_contributors_share": ("Written by its top 5 %", "Écrit par ses 5 % les plus actifs"),
    "company_feed": ("Company feed", "Fil de l'entreprise"),
    "introductions_by_month": ("Introductions per month", "Mises en relation par mois"),
    "searches_per_day": ("Searches per day", "Recherches par jour"),
    "top_queries": ("Top searches", "Recherches les plus fréquentes"),
    "average_results": ("Results (mean)", "Résultats (moyenne)"),
    "day": ("Day", "Jour"),
    "declared_profiles": ("Profiles declaring skills", "Profils déclarant des compétences"),
    "dashboard": ("KM dashboard", "Tableau de bord KM"),
    "km_only": ("For KM leads and admins. Every figure counts only what you may read.",
                "Pour les animateurs KM et les administrateurs. Chaque chiffre ne compte que "
                "ce que vous pouvez lire."),
    "as_of": ("as of", "au"),
    "registered": ("Registered people", "Personnes inscrites"),
    "active": ("Active (wrote in the last 90 days)", "Actifs (ont écrit ces 90 jours)"),
    "passive": ("Passive", "Passifs"),
    "enriched": ("Enriched profiles (suggested skills accepted)",
                 "Profils enrichis (suggestions acceptées)"),
    "participation": ("Participation rate", "Taux de participation"),
    "frequency": ("Contributions per active person (90 days)",
                  "Contributions par personne active (90 jours)"),
    "per_month": ("Created per month", "Créés par mois"),
    "posts_month": ("Posts and questions", "Publications et questions"),
    "replies_month": ("Answers and comments", "Réponses et commentaires"),
    "groups_month": ("Groups started (first message)", "Groupes lancés (premier message)"),
    "introductions": ("Introductions made", "Mises en relation"),
    "zero_results": ("Queries with no result", "Requêtes sans résultat"),
    "searches": ("searches", "recherches"),
    "unanswered_by_topic": ("Unanswered questions by topic",
                            "Questions sans réponse par thème"),
    "thin_topics": ("Topics with no or one expert", "Thèmes avec zéro ou un expert"),
    "click_through": ("Search click-through", "Taux de clic des recherches"),
    "clicked": ("searches with a click", "recherches suivies d'un clic"),
    "table": ("Figures", "Chiffres"),
    "month": ("Month", "Mois"),
    "count": ("Count", "Nombre"),
    "none": ("None.", "Aucun."),
    # follows and notifications
    "follow": ("Follow", "Suivre"),
    "follow_search": ("Follow this search", "Suivre cette recherche"),
    "follow_topic": ("Follow this topic", "Suivre ce thème"),
    "follow_person": ("Follow {name}", "Suivre {name}"),
    "follow_group": ("Follow the group {name}", "Suivre le groupe {name}"),
    "follow_tag": ("Follow #{tag}", "Suivre #{tag}"),
    "following": ("You follow this", "Vous suivez ceci"),
    "my_follows": ("My follows", "Mes abonnements"),
    "follows_help": ("You hear of what is new in what you follow, as you may read it.",
                     "Vous êtes prévenu des nouveautés de ce que vous suivez, telles que vous "
                     "pouvez les lire."),
    "no_follows": ("You follow nothing yet: use “Follow” on a search, a topic or a person.",
                   "Vous ne suivez rien pour l'instant : utilisez « Suivre » sur une recherche, "
                   "un thème ou une personne."),
    "pause": ("Pause", "Suspendre"),
    "resume": ("Resume", "Reprendre"),
    "drop": ("Stop following", "Ne plus suivre"),
    "paused": ("paused", "suspendu"),
    "kind_search": ("Search", "Recherche"),
    "kind_topic": ("Topic", "Thème"),
    "kind_tag": ("Tag", "Mot-clé"),
    "kind_group": ("Group", "Groupe"),
    "kind_person": ("Person", "Personne"),
    "notifications": ("How you hear of it", "Comment vous êtes prévenu"),
    "channel": ("Channel", "Canal"),
    "channel_email": ("Email", "E-mail"),
    "channel_webhook": ("Webhook", "Webhook"),
    "email_address": ("Email address", "Adresse e-mail"),
    "webhook_url": ("Webhook URL", "URL du webhook"),
    "webhook_format": ("Webhook format", "Format du webhook"),
    "format_json": ("JSON", "JSON"),
    "format_slack": ("Slack or Teams text", "Texte Slack ou Teams"),
    "webhook_secret": ("Signature secret of this webhook (X-Quisait-Signature)",
                       "Secret de signature de ce webhook (X-Quisait-Signature)"),
    "how_often": ("How often", "À quelle fréquence"),
    "immediately": ("As it happens", "Au fil de l'eau"),
    "daily": ("Once a day", "Une fois par jour"),
    "weekly": ("Once a week", "Une fois par semaine"),
    "message_lang": ("Language of the messages", "Langue des messages"),
    "pause_all": ("Pause everything", "Tout suspendre"),
    "digests": ("Expert digests: questions I could answer",
                "Résumés d'expert : les questions auxquelles je pourrais répondre"),
    "saved": ("Saved.", "Enregistré."),
    "confirm_email": ("Confirm this address", "Confirmer cette adresse"),
    "confirm_email_question": ("Receive quisait's notifications at {address}?",
                               "Recevoir les notifications de quisait à {address} ?"),
    "email_confirmed": ("Confirmed: notifications now go to {address}.",
                        "Confirmé : les notifications vont désormais à {address}."),
    "email_pending": ("Waiting for confirmation: we sent a link to {address}; nothing goes "
                      "there until it is followed. Not received? Save again (one a day).",
                      "En attente de confirmation : un lien a été envoyé à {address} ; rien "
                      "n'y part avant qu'il soit suivi. Pas reçu ? Enregistrez à nouveau "
                      "(un par jour)."),
    "no_address": ("No address yet: nothing can reach you.",
                   "Pas encore d'adresse : rien ne peut vous parvenir."),
    "unsubscribe": ("Unsubscribe", "Se désabonner"),
    "unsubscribe_follow": ("Stop the messages about “{label}”?",
                           "Ne plus recevoir les messages sur « {label} » ?"),
    "unsubscribe_digest": ("Stop the expert digests?",
                           "Ne plus recevoir les résumés d'expert ?"),
    "unsubscribe_all": ("Stop every message from quisait?",
                        "Ne plus recevoir aucun message de quisait ?"),
    "unsubscribed": ("Done: these messages will not come any more.",
                     "C'est fait : ces messages ne vous parviendront plus."),
    # feedback: helpful / not helpful on results, answers and expert cards (web.feedback)
    "helpful": ("Helpful", "Utile"),
    "not_helpful": ("Not helpful", "Pas utile"),
    "feedback_result": ("This result:", "Ce résultat :"),
    "feedback_answer": ("This answer:", "Cette réponse :"),
    "feedback_expert": ("This suggestion:", "Cette suggestion :"),
    "feedback_title": ("Feedback marked not helpful", "Retours « pas utile »"),
    "feedback_help": ("Counts only, never who voted; over what you may read.",
                      "Des nombres seulement, jamais qui a voté ; parmi ce que vous pouvez "
                      "lire."),
    "feedback_answers": ("Answers marked wrong", "Réponses jugées fausses"),
    "feedback_results": ("Results marked unhelpful", "Résultats jugés inutiles"),
    "feedback_experts": ("Experts marked unhelpful", "Experts jugés peu utiles"),
    "download_csv": ("Download as CSV", "Télécharger en CSV"),
    "unsubscribed_follow": ("The follow is paused: resume it any time from “My follows”.",
                            "L'abonnement est suspendu : reprenez-le quand vous voulez depuis "
                            "« Mes abonnements »."),
    # extracted answers (search.answers)
    "answer_title": ("Answer", "Réponse"),
    "answer_note": ("Sentences quoted from what you may read, with their sources; check "
                    "them there.", "Phrases citées de ce que vous pouvez lire, avec leurs "
                    "sources ; vérifiez-les là."),
}


def language() -> str:
    """The picked language, else the browser's preference, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def translate(key: str, **values: object) -> str:
    """The message in the page's language, with ``{name}`` fields filled in."""
    english, french = MESSAGES.get(key, (key, key))
    text = french if language() == "fr" else english
    return text.format(**values) if values else text


# counts and numbers: CLDR plural rules and number formats through Babel, not a
# hand-kept table ("1 élément", "0 élément" in French; "12,5 %" there, "12.5%" in English)
PLURALS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # key: ((English one, other), (French one, other)); {n} is the formatted count
    "items": (("{n} item", "{n} items"), ("{n} élément", "{n} éléments")),
    "searches": (("{n} search", "{n} searches"), ("{n} recherche", "{n} recherches")),
    "people": (("{n} person", "{n} people"), ("{n} personne", "{n} personnes")),
    "questions": (("{n} question", "{n} questions"), ("{n} question", "{n} questions")),
}


def _locale() -> Locale:
    return Locale.parse(language())


def number(value: float, digits: int = 1) -> str:
    """``value`` in the page's language, at most ``digits`` decimals (1 234,5 / 1,234.5)."""
    return format_decimal(round(value, digits), locale=_locale(), decimal_quantization=False)


def percent(share: float, digits: int = 1) -> str:
    """A share (0.125) as a percentage in the page's language: "12,5 %" / "12.5%"."""
    return format_percent(round(share, digits + 2), locale=_locale(),
                          decimal_quantization=False)


def plural(key: str, count: int) -> str:
    """"{n} item(s)" with the plural form the language's CLDR rule gives ``count``."""
    english, french = PLURALS[key]
    one, other = french if language() == "fr" else english
    form = _locale().plural_form(count)
    return (one if form == "one" else other).format(n=number(count, 0))

"""Small word lists the expertise package needs beyond the analyzers' stop words."""

# Words that make a sentence a question, not a subject (the analyzers keep some of them:
# "comment", "si" and "ça" are not French stop words, yet say nothing about the subject).
QUESTION_WORDS = frozenset(
    "comment pourquoi quel quelle quels quelles quoi combien est-ce qu'est-ce si ça ca "
    "faut peut-on doit-on savez-vous sait-on bonjour merci svp please thanks hi hello "
    "anyone anybody someone know knows".split())

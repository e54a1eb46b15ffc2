"""Word tables of the French phrase grammar (``indexer.french_phrases``), compared by
``word_key`` (lower case, no accents, singular)."""

from __future__ import annotations

from indexer.keyphrases import word_key


def _table(words: str) -> frozenset[str]:
    return frozenset(word_key(w) for w in words.split())


CONNECTORS = frozenset({"de", "d'", "du", "des", "a", "en"})  # not "au": "NTP au démarrage"
ARTICLES = frozenset({"la", "l'"})  # "gestion de la qualité", "accès à l'outil"
# Adjectives that judge, rank or date a thing rather than say what kind it is.
JUDGING_ADJECTIVES = _table("""
    habituel habituelle nouveau nouvel nouvelle ancien ancienne autre même petit petite
    grand grande gros grosse bon bonne mauvais mauvaise meilleur meilleure pire premier
    première dernier dernière prochain prochaine suivant suivante précédent précédente
    seul seule simple possible impossible certain certaine différent différente divers
    diverse tel telle vrai vraie faux fausse important importante actuel actuelle récent
    récente long longue court courte rapide lent lente bref brève précis précise exact
    exacte clair claire facile difficile compliqué compliquée urgent urgente prêt prête
    sûr sûre nécessaire utile inutile fréquent fréquente rare classique complet complète
    entier entière propre beau bel belle joli jolie super excellent excellente parfait
    parfaite cher chère intéressant intéressante énorme vieux vieil vieille jeune
    nombreux nombreuse quelconque tout toute aucun aucune plein pleine principal
    principale pratique normal normale disponible""")
PRENOMINAL = _table("haut haute bas basse")  # "haute disponibilité", "basse tension"
GENERIC_NOUNS = _table("""
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    lundi mardi mercredi jeudi vendredi samedi dimanche week-end weekend an année mois
    semaine jour journée heure minute seconde matin matinée soir soirée midi nuit
    aujourd'hui hier demain après-midi date fois moment instant période début fin suite reste
    question réponse message post fil sujet bonjour merci salut hello chose truc idée
    exemple cas personne gens monde part façon manière sorte genre type besoin aide info
    infos avis lien plupart côté coup mot ps svp retour souci problème ans temps courage
    point""")
# Nouns whose connector belongs to the phrase ("mise à jour", "prise en charge"): never cut
# there; "jour" after "mise à" or "ordre du" is not a date.
FIXED = {("mise", "a"), ("mise", "en"), ("prise", "en"), ("ordre", "du")}
# Words the small model takes for nouns at the start of a sentence: verbs, interjections.
NOT_NOUNS = _table("""
    faut dis existe utilise utiliser remplace vérifie vérifier regarde indique configure
    joins ajoute mets passe fais voir voici voilà oui non pareil ok affiche marche pense
    sais crois essaie essaye attention bravo top cf etc stp svp contre soi deux trois
    quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize vingt
    trente quarante cinquante soixante cent mille""") | JUDGING_ADJECTIVES
GREETINGS = _table("bonjour bonsoir salut hello hi hey coucou merci cher chère")

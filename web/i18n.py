"""French and English for the pages: the browser's language, or the one picked."""

from __future__ import annotations

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
}


def language() -> str:
    """The picked language, else the browser's preference, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def translate(key: str) -> str:
    english, french = MESSAGES.get(key, (key, key))
    return french if language() == "fr" else english

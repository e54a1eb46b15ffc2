"""A small RSS 2.0 feed of external industry news, to import into the internet-watch group."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

CHANNEL = {
    "title": "Veille KM & RSE - sélection de la communauté",
    "link": "https://veille-km.example.org/",
    "description": "Actualités du knowledge management et des réseaux sociaux d'entreprise. "
    "Knowledge management and enterprise social network news.",
}

# (date, title, link, description, category)
ITEMS = (
    (datetime(2025, 12, 18, 8, 30, tzinfo=UTC),
     "Recherche d’expertise : les annuaires déclaratifs ne suffisent plus",
     "https://veille-km.example.org/2025/12/recherche-expertise",
     "Une enquête auprès de 120 entreprises industrielles montre que les profils déclaratifs sont "
     "incomplets dans deux cas sur trois. Les outils qui déduisent l’expertise des contributions "
     "réelles (réponses, documents) gagnent du terrain.", "knowledge-management"),
    (datetime(2025, 12, 4, 14, 0, tzinfo=UTC),
     "Enterprise social networks: what survived the hype",
     "https://km-review.example.com/esn-after-the-hype",
     "Ten years after the first wave of enterprise social networks, the surviving use cases are "
     "questions and answers, communities of practice and company-wide announcements.",
     "enterprise-social-network"),
    (datetime(2025, 11, 20, 9, 15, tzinfo=UTC),
     "Départs à la retraite : comment transmettre les savoirs critiques",
     "https://veille-km.example.org/2025/11/transfert-savoirs-critiques",
     "Cartographie des savoirs, binômes senior-junior, entretiens filmés : retour d’expérience "
     "d’un industriel de la mécanique sur trois ans de transfert de "
     "connaissances.", "knowledge-management"),
    (datetime(2025, 11, 6, 16, 45, tzinfo=UTC),
     "Hybrid search for enterprise knowledge bases",
     "https://search-weekly.example.net/hybrid-enterprise-search",
     "Combining keyword search (BM25) with multilingual embeddings improves recall on short, "
     "jargon-heavy questions, especially in bilingual organisations.", "search"),
    (datetime(2025, 10, 23, 10, 0, tzinfo=UTC),
     "RGPD et outils collaboratifs : les points de vigilance",
     "https://veille-km.example.org/2025/10/rgpd-outils-collaboratifs",
     "Durées de conservation, droits d’accès aux groupes privés, export des données : ce que les "
     "délégués à la protection des données vérifient avant le déploiement d’un réseau social "
     "d’entreprise.", "rgpd"),
    (datetime(2025, 10, 2, 7, 30, tzinfo=UTC),
     "Working out loud in engineering teams",
     "https://km-review.example.com/working-out-loud-engineering",
     "A case study from a British engineering firm: weekly public notes on work in progress cut "
     "duplicated effort between sites.", "enterprise-social-network"),
    (datetime(2025, 9, 15, 12, 0, tzinfo=UTC),
     "Communautés de pratique : le rôle clé de l’animateur",
     "https://veille-km.example.org/2025/09/animateur-communaute",
     "Sans animateur identifié et disposant de temps, une communauté de pratique perd la moitié de "
     "ses contributeurs en six mois, selon une étude menée dans "
     "l’industrie.", "knowledge-management"),
)


def feed_xml() -> str:
    """The RSS 2.0 document as text."""
    items = []
    for when, title, link, description, category in ITEMS:
        items.append(
            "    <item>\n"
            f"      <title>{escape(title)}</title>\n"
            f"      <link>{escape(link)}</link>\n"
            f"      <guid isPermaLink=\"true\">{escape(link)}</guid>\n"
            f"      <pubDate>{format_datetime(when)}</pubDate>\n"
            f"      <category>{escape(category)}</category>\n"
            f"      <description>{escape(description)}</description>\n"
            "    </item>"
        )
    newest = format_datetime(ITEMS[0][0])
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n  <channel>\n'
        f"    <title>{escape(CHANNEL['title'])}</title>\n"
        f"    <link>{escape(CHANNEL['link'])}</link>\n"
        f"    <description>{escape(CHANNEL['description'])}</description>\n"
        "    <language>fr</language>\n"
        f"    <lastBuildDate>{newest}</lastBuildDate>\n"
        + "\n".join(items)
        + "\n  </channel>\n</rss>\n"
    )

"""Hand-written standalone posts, articles and events, and the pools generic comments come from."""

from __future__ import annotations

from indexer.sample.spec import comment, entry

FEED = None  # the company-wide feed

ENTRIES = (
    # --- company feed
    entry("article", "fr", "p-claire", FEED, "Pourquoi partager ce que l’on sait ?",
          "knowledge-management rse",
          "Chaque semaine, quelqu’un chez Valtorre résout un problème qu’un collègue a déjà résolu "
          "ailleurs, à Lyon, à Nantes ou à Montréal. Le réseau social d’entreprise est là pour ça "
          ": poser ses questions en public plutôt qu’en message privé, pour que la réponse serve à "
          "tous.",
          "- posez vos questions dans le groupe thématique, pas en privé\n"
          "- quand une réponse vous a aidé, marquez-la comme acceptée\n"
          "- complétez vos compétences dans votre profil",
          "La communauté [KM & RSE](https://rse.valtorre.example/groups/g-km) vous accompagne.",
          days=500, fmt="html",
          comments=(comment("p-helene", "Merci Claire, c’est exactement l’état d’esprit que je "
                                        "souhaite."),)),
    entry("post", "en", "p-david", FEED, "Phishing alert: fake e-signature emails",
          "security phishing",
          "Several colleagues received emails asking them to 'review and sign' a document through "
          "a fake e-signature page. The link asks for your Microsoft 365 password.",
          "Do not click. Use the 'Report phishing' button in Outlook. If you already entered your "
          "password, change it now and tell security@valtorre.example.", days=410),
    entry("post", "fr", "p-david", FEED, "Campagne de phishing simulée : les résultats",
          "securite phishing",
          "Merci à toutes et à tous : lors de la campagne simulée de novembre, 9 % des "
          "destinataires ont cliqué (contre 17 % l'an dernier) et 41 % ont signalé le message. "
          "Continuez à utiliser le bouton « Signaler » dans Outlook.", days=40),
    entry("event", "fr", "p-mathieu", FEED, "Journée sécurité : 28 avril à Nantes et Lyon",
          "securite evenement",
          "À l’occasion de la Journée mondiale de la sécurité et de la santé au travail, ateliers "
          "de 30 minutes : gestes et postures, consignation, premiers secours, ergonomie du poste "
          "en télétravail. Inscriptions auprès de l’équipe HSE.", days=260),
    entry("event", "en", "p-james", FEED, "Lunch & learn: Power BI basics with Emma",
          "power-bi formation lunch-and-learn",
          "Emma will show how to build your first report: connecting to a SharePoint list, a few "
          "DAX measures and publishing to a workspace. Thursday 12:30 UK time, on "
          "Teams, recorded.", days=330),
    entry("post", "mixed", "p-helene", FEED, "Meilleurs vœux 2026 / Season's greetings", "voeux",
          "Chères et chers collègues, merci pour cette année : le lancement d’Orvalis 3.2, la "
          "certification ISO 9001 renouvelée et l’ouverture de notre nouvel atelier de Nantes sont "
          "votre œuvre. Dear colleagues in London and Montréal, thank you for a remarkable year. "
          "Best wishes for 2026 to you and your families!", days=3, fmt="html",
          comments=(comment("p-james", "Merci Hélène, and happy new year to everyone in Lyon and "
                                       "Nantes!",
                            lang="mixed"),)),
    entry("post", "fr", "p-nadia", FEED, "Maintenance de la plateforme collaborative samedi",
          "rse maintenance",
          "La plateforme sera indisponible samedi de 8h à 12h (heure de Paris) pour une mise à "
          "jour. Les notifications envoyées pendant la maintenance arriveront à la "
          "reprise.", days=150),
    entry("post", "en", "p-thomas", FEED, "Kubernetes clusters now use single sign-on",
          "kubernetes sso annonce",
          "From Monday, kubectl access to all clusters goes through Entra ID. Install the "
          "kubelogin plugin and regenerate your kubeconfig; static tokens will be revoked. Details "
          "in the DevOps group.", days=212),
    entry("article", "en", "p-elodie", FEED,
          "GDPR in five minutes: what every employee should know",
          "gdpr rgpd formation",
          "Personal data is any information about an identifiable person: a name, an email "
          "address, a phone number, but also a badge log or the location of an installation linked "
          "to its operator.",
          "- collect only what you need, keep it only as long as needed\n"
          "- never send personal data to personal mailboxes or unapproved cloud tools\n"
          "- forward any request from a person about their data to the DPO within 48 hours\n"
          "- report a data leak immediately: we have 72 hours to notify the authority",
          "Questions welcome in the feed, in French or English.", days=460, fmt="markdown"),
    entry("post", "fr", "p-sophie", FEED, "Bienvenue aux nouveaux arrivants de septembre !",
          "onboarding bienvenue",
          "Ce mois-ci, onze personnes nous rejoignent à Lyon, Nantes et Montréal, dont quatre "
          "alternants. Faites-leur bon accueil, et n’hésitez pas à vous proposer comme parrain ou "
          "marraine.", days=120),
    entry("event", "mixed", "p-genevieve", FEED,
          "5 à 7 au bureau de Montréal / Montréal office open house",
          "montreal evenement",
          "Jeudi prochain, 5 à 7 au bureau pour célébrer nos cinq ans à Montréal ! Poutine et "
          "pouding chômeur au menu. Colleagues visiting from Lyon or London are very welcome, just "
          "let me know.",
          days=95, comments=(comment("p-kevin", "J’y serai ! Bringing the poutine recipe from my "
                                     "mother, don't worry.", lang="mixed"),)),
    entry("post", "fr", "p-lucas", FEED, "1 000 actionneurs OV-300 livrés !", "orvalis ov-300",
          "Cap franchi cette semaine : mille actionneurs OV-300 installés chez nos clients. Merci "
          "aux équipes de Nantes, du support et du produit, c’est une œuvre collective.", days=75),
    # --- Le Café
    entry("post", "fr", "p-pierre", "g-cafe", "Covoiturage Lyon Part-Dieu - Saint-Priest ?",
          "covoiturage lyon",
          "Je cherche un covoiturage le matin depuis la Part-Dieu, arrivée vers 8h30. Je partage "
          "les frais d'essence bien sûr.", days=300),
    entry("post", "en", "p-ryan", "g-cafe", "Anyone up for the London 10K charity run?",
          "london sport",
          "We have six places in the corporate team for the 10K in July, raising money for a "
          "children's hospital. Beginners welcome, we'll train together on Tuesday "
          "evenings.", days=230),
    entry("post", "fr", "p-chloe", "g-cafe", "Recette du pouding chômeur pour le potluck",
          "montreal recette",
          "Plusieurs personnes me l’ont demandée ! Pour le sirop : deux tasses de sirop d’érable, "
          "une tasse de crème 35 %. Pour la pâte : farine, sucre, beurre, lait. On verse le sirop "
          "chaud sur la pâte et au four 35 minutes. Bon appétit !", days=90),
    entry("post", "fr", "p-hugo", "g-cafe", "Club de lecture : « L’Œuvre » de Zola ce mois-ci",
          "lecture",
          "Le club de lecture de Nantes se retrouve jeudi midi pour parler de L’Œuvre. Le mois "
          "prochain, on propose un livre en anglais pour que les collègues de Londres puissent "
          "participer.", days=180),
    entry("post", "mixed", "p-laura", "g-cafe", "Vélo au bureau / cycle to work",
          "velo mobilite",
          "Le parking vélo de Lyon a maintenant 40 places couvertes et des casiers. In London, the "
          "cycle-to-work scheme is open again until the end of the month: ask James for the form.",
          days=240),
    entry("post", "en", "p-alice", "g-cafe", "Best coffee near the London office?", "london",
          "The machine on the third floor has been broken for a week. Where do people "
          "go?", days=60),
    entry("post", "fr", "p-laura", "g-cafe", "Concours photo « Valtorre au cœur de l’industrie »",
          "communication concours",
          "Envoyez-nous vos plus belles photos de nos sites et de nos produits en situation avant "
          "le 15. Les trois gagnantes illustreront le rapport annuel.", days=140),
    # --- KM community and internet watch
    entry("article", "fr", "p-claire", "g-km",
          "Cinq règles pour une question qui obtient une réponse",
          "knowledge-management bonnes-pratiques rse",
          "Une bonne question, c’est la moitié de la réponse :",
          "- un titre qui dit le problème, pas « Question urgente »\n"
          "- le contexte : ce que vous faites, ce que vous attendez, ce qui se passe\n"
          "- le message d’erreur exact, copié et non paraphrasé\n"
          "- ce que vous avez déjà essayé\n"
          "- des tags, pour que les experts du sujet la voient",
          "Et quand c’est résolu, acceptez la réponse : c’est ce qui permet aux suivants de "
          "trouver.",
          days=420, fmt="markdown"),
    entry("article", "en", "p-james", "g-km", "Working out loud: our 12-week experiment",
          "knowledge-management working-out-loud",
          "Twelve volunteers from London and Montréal posted a short weekly note on what they were "
          "working on and what they were stuck on. Result: 23 problems solved by someone outside "
          "the author's team, and three new cross-site collaborations.",
          "We'll run a second cohort in spring, in French and English.", days=280, fmt="html"),
    entry("post", "fr", "p-claire", "g-km",
          "Retour sur l’atelier « cartographie des savoirs critiques »",
          "knowledge-management savoirs-critiques",
          "Merci aux quinze participants. On a identifié 42 savoirs critiques, dont 9 détenus par "
          "une seule personne : essais de cavitation, paramétrage des clôtures SAP, calibration "
          "des capteurs de couple… Prochaine étape : un plan de transfert pour chacun.", days=350),
    entry("event", "mixed", "p-james", "g-km", "Café KM bilingue / bilingual KM coffee",
          "knowledge-management evenement",
          "Un café virtuel de 30 minutes, moitié en français, half in English, pour partager une "
          "astuce de recherche ou une question. First Friday of the month, 10:00 Montréal, 15:00 "
          "London, 16:00 Lyon.", days=320),
    entry("post", "fr", "p-claire", "g-veille",
          "Étude : les ingénieurs passent 20 % de leur temps à chercher de l’information",
          "veille knowledge-management recherche",
          "Une étude sur les bureaux d’études industriels confirme ce qu’on entend en interne : "
          "une journée par semaine passée à chercher un document ou la bonne personne. À lire : "
          "[l’article](https://veille-km.example.org/etude-temps-recherche).", days=200),
    entry("post", "en", "p-james", "g-veille",
          "Report: question-and-answer communities outlive wikis",
          "veille knowledge-management communities",
          "Interesting read on why Q&A spaces stay alive longer than wikis inside companies: "
          "questions create a reason to come back. "
          "[Link](https://km-review.example.com/qa-communities).", days=110),
    # --- topic groups
    entry("article", "fr", "p-thomas", "g-devops",
          "Notre chaîne CI/CD en 2025 : GitLab, Argo CD et Kubernetes",
          "ci-cd gitlab-ci argo-cd kubernetes",
          "Petit tour de la chaîne de livraison, pour les nouveaux :",
          "- GitLab CI construit, teste et publie les images dans le registre\n"
          "- Renovate maintient les dépendances à jour\n"
          "- Argo CD synchronise les manifestes Helm du dépôt `deploy` vers les clusters\n"
          "- Argo Rollouts gère les déploiements canary en production",
          "Objectif 2026 : des environnements de revue éphémères pour chaque merge request.",
          days=250, fmt="html"),
    entry("event", "en", "p-sarah", "g-devops", "Kubernetes workshop for developers: two sessions",
          "kubernetes formation workshop",
          "Hands-on workshop: deploy a small service with Helm, read logs, debug a failing pod. "
          "Session 1 in English (London, 10 June), session 2 in French with Thomas (Lyon, 17 "
          "June). Bring a laptop with kubectl installed.", days=215),
    entry("post", "fr", "p-julien", "g-python", "Nouveau modèle de projet Python disponible",
          "python packaging template",
          "Le modèle `python/templates/library` est à jour : pyproject.toml avec hatchling, "
          "version tirée du tag git, ruff, mypy, pytest et le pipeline GitLab qui publie sur le "
          "registre interne. Retours bienvenus !", days=190),
    entry("article", "en", "p-priya", "g-data", "How we forecast spare-part demand",
          "machine-learning prevision pieces-detachees",
          "Spare parts are a hard forecasting problem: thousands of references, most of them sold "
          "a few times a year. We tested classical ARIMA, Croston-type models and one global "
          "gradient boosting model.",
          "The global model wins on frequent parts, Croston-TSB on intermittent ones; we now use "
          "both and the stock-outs on seal kits dropped by a third.", days=160, fmt="markdown"),
    entry("event", "en", "p-emma", "g-data", "Webinar: DAX beyond SUM", "power-bi dax formation",
          "45 minutes on CALCULATE, filter context and time intelligence, with examples from the "
          "sales dashboard. Tuesday 14:00 CET.", days=70),
    entry("post", "fr", "p-karim", "g-finance",
          "Clôture annuelle : notes de frais avant le 15 décembre",
          "notes-de-frais cloture",
          "Pour être comptabilisées sur l’exercice, les notes de frais doivent être validées par "
          "vos managers avant le 15 décembre. Merci d’anticiper !", days=25),
    entry("post", "fr", "p-sophie", "g-rh",
          "Nouvelle charte télétravail : consultation des équipes",
          "teletravail consultation",
          "Un questionnaire anonyme est ouvert jusqu'à fin octobre pour préparer la future charte "
          "télétravail. Vos réponses seront présentées aux représentants du personnel.", days=85),
    entry("event", "en", "p-james", "g-rh", "New starters' welcome session: London",
          "onboarding london",
          "First Tuesday of the month, 9:30, meeting room Thames: company overview, tools, safety "
          "and a tour of the office. Managers, please register your new starters.", days=130),
    entry("article", "fr", "p-olivier", "g-qhse", "Audit ISO 9001 : bilan et points forts",
          "qualite audit iso-9001",
          "L’audit de surveillance s’est terminé sans non-conformité majeure. Points forts relevés "
          ": le traitement des réclamations clients et la maîtrise des étalonnages. Deux points à "
          "améliorer : l’efficacité des actions correctives et la mise à jour des modes "
          "opératoires.", days=270),
    entry("post", "fr", "p-mathieu", "g-qhse",
          "Rappel : lunettes obligatoires à l’atelier d’usinage",
          "securite epi", "Trois projections de copeaux cette semaine. Lunettes obligatoires dès "
          "la ligne jaune, même pour traverser.", days=100),
    entry("event", "fr", "p-yann", "g-nantes", "Portes ouvertes de l’usine pour les familles",
          "nantes evenement",
          "Samedi 4 octobre, visite des ateliers et des bancs d’essais en famille. Chaussures "
          "fermées obligatoires ; enfants accompagnés.", days=125),
    entry("post", "fr", "p-yann", "g-nantes", "Arrêt technique de la ligne d’assemblage 2",
          "nantes production maintenance",
          "La ligne 2 sera arrêtée du 21 au 25 juillet pour le remplacement du convoyeur. Planning "
          "des équipes revu avec chaque chef d'atelier.", days=175),
    entry("article", "en", "p-lucas", "g-orvalis", "Orvalis 3.2 release notes",
          "orvalis release firmware",
          "Release 3.2 brings faster position control, a torque trend chart in Orvalis Connect and "
          "Modbus register map v3.",
          "- firmware 3.2.2 fixes the calibration reset seen with 3.2.1\n"
          "- the Hub now supports 32 actuators per RS-485 segment\n"
          "- SMS alerts require numbers in international format",
          "Full notes on the partner portal.", days=145, fmt="html"),
    entry("post", "mixed", "p-kevin", "g-orvalis", "Firmware 3.2.2 disponible / available",
          "orvalis firmware release",
          "Le firmware 3.2.2 de l’OV-300 est disponible sur le portail partenaires : il corrige la "
          "perte de calibration (erreur E14). Customers on 3.2.1 should update first; those on 2.x "
          "can go straight to 3.2.2.", days=140),
    entry("post", "fr", "p-genevieve", "g-orvalis", "Satisfaction client du trimestre",
          "support satisfaction",
          "Note moyenne 4,6/5 sur 1 140 tickets, délai moyen de première réponse 2 h 10. Bravo "
          "l’équipe ! Principal motif de contact : les alertes SMS.", days=50),
    # --- private and secret groups (canaries)
    entry("post", "fr", "p-isabelle", "g-horizon", "Point d’avancement : lot Brundelac terminé",
          "horizon avancement",
          "Le lot Brundelac (fournisseurs et clients) est chargé en recette avec 99,7 % de fiches "
          "valides. Le lot Ombrivane (comptabilité et immobilisations) démarre les tests la "
          "semaine prochaine.", days=45,
          comments=(comment("p-karim", "Bravo ! Les 0,3 % restants de Brundelac sont des IBAN à "
                                       "corriger."),)),
    entry("post", "en", "p-thomas", "g-horizon", "Ombrivane interface monitoring dashboard",
          "horizon interfaces monitoring",
          "The dashboard for the Ombrivane interfaces (IDocs between the plants and S/4) is live "
          "in Grafana. Failed IDocs raise an alert in the project channel.", days=30),
    entry("event", "fr", "p-isabelle", "g-horizon", "Répétition générale de bascule Ombrivane",
          "horizon bascule", "Répétition du week-end de bascule Ombrivane : du vendredi 18h au "
          "dimanche 14h. Présence requise des référents finance.", days=20),
    entry("post", "en", "p-lucas", "g-kestrel", "Welcome Kestrel team: Kessivor pilot kickoff",
          "kessivor kickoff",
          "Welcome Ian and Fiona! This group is where we'll work on the Kessivor pilot: twelve "
          "OV-300 actuators and two Hubs on the client's pumping station. Documents and minutes go "
          "here.",
          days=160),
    entry("post", "en", "p-fiona", "g-kestrel", "Minutes: Kessivor steering call",
          "kessivor minutes",
          "Decisions: register map v3 is frozen; Plumtacle soak test over two weekends; FAT at "
          "Nantes in March. Actions: Kevin to share firmware 3.2.2, Ian to send the "
          "SCADA tag list.", days=65,
          comments=(comment("p-kevin", "Firmware 3.2.2 is in the Kessivor folder."),
                    comment("p-lucas", "Merci Fiona, great minutes. See you at the Kessivor FAT!",
                            lang="mixed"))),
    entry("post", "fr", "p-helene", "g-codir", "Projet Quintarel : feu vert pour la due diligence",
          "quintarel acquisition",
          "Le conseil a validé l’entrée en due diligence sur Zorbaflux. Périmètre : capteurs de "
          "pression connectés, 45 personnes, site près de Grenoble. Confidentialité "
          "absolue.", days=55,
          comments=(comment("p-francois", "Lettre d’intention Quintarel envoyée aux avocats ce "
                                          "matin."),)),
    entry("article", "fr", "p-francois", "g-codir", "Quintarel : synthèse financière",
          "quintarel finance",
          "Chiffre d’affaires de Zorbaflux : 7,8 M€, EBITDA 11 %. Valorisation indicative entre 6 "
          "et 8 fois l’EBITDA. Synergies attendues : intégration des capteurs dans la gamme "
          "Orvalis dès 2027.",
          days=35, fmt="html"),
    entry("event", "fr", "p-marie", "g-codir", "Séminaire du comité de direction", "seminaire",
          "Séminaire stratégique les 12 et 13 février à Annecy. Ordre du jour : budget, Quintarel, "
          "plan d'investissement de Nantes.", days=10),
)

# Generic comments by (kind of target, language).
COMMENTS = {
    ("question", "fr"): (
        "Même problème ici, je suis la discussion.", "Bonne question, ça m'intéresse aussi.",
        "Tu as regardé dans les documents du groupe ?", "J’ai eu le cas il y a quelques mois, je "
                                                        "retrouve mes notes.",
        "Quelqu'un de Nantes a peut-être la réponse ?", "+1, on se pose la même question dans "
                                                        "l’équipe.",
    ),
    ("question", "en"): (
        "Same issue here, following.", "Good question, I was wondering too.",
        "Have you checked the group files?", "We had this a few months ago, I'll look for my "
                                             "notes.",
        "Following this one.", "+1, my team has the same question.",
    ),
    ("answer", "fr"): (
        "Merci, ça marche !", "Super clair, merci.", "Testé et validé de mon côté.",
        "Merci pour l’astuce, je ne connaissais pas.", "Exactement ce qu'il me fallait.",
        "D’accord, je fais comme ça.",
    ),
    ("answer", "en"): (
        "Thanks, that fixed it!", "Very clear, thank you.", "Tested on my side, works.",
        "Great tip, I didn't know that.", "Exactly what I needed.", "Bookmarking this one.",
    ),
    ("post", "fr"): (
        "Merci pour le partage !", "Bravo à toute l’équipe !", "Très intéressant, merci.",
        "Super initiative.", "Je m'inscris !", "Top, merci pour l'info.", "Génial, bravo à tous !",
    ),
    ("post", "en"): (
        "Thanks for sharing!", "Well done everyone!", "Really interesting, thanks.",
        "Great initiative.", "Count me in!", "Useful, thanks for the heads-up.",
    ),
    ("post", "mixed"): (
        "Merci ! Thanks a lot!", "Bravo / well done!", "Super, see you there!",
    ),
}

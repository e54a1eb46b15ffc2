"""Hand-written shared documents: metadata and body (light markup, see ``markup.py``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocSpec:
    """A shared file: where it goes, what the manifest or front matter says, and its text."""

    path: str
    title: str
    group: str
    author: str
    tags: tuple[str, ...]
    created: str  # ISO date
    lang: str
    body: str
    # "manifest": a full [files] table; "front_matter": YAML in the Markdown file;
    # "defaults": a [files] table with only title and created, the rest from [defaults]
    metadata: str = "manifest"


def _doc(path: str, title: str, group: str, author: str, tags: str, created: str, lang: str,
         *paragraphs: str, metadata: str = "manifest") -> DocSpec:
    return DocSpec(path, title, group, author, tuple(tags.split()), created, lang,
                   "\n\n".join(paragraphs), metadata)


# Manifest defaults: group, author and tags of a file whose metadata does not name them.
DEFAULTS = {"group": "g-km", "author": "p-claire", "tags": ["documentation"]}

DOCUMENTS = (
    _doc("km/guide-rse.html", "Guide des bonnes pratiques du réseau social d’entreprise", "g-km",
         "p-claire", "rse knowledge-management guide", "2024-09-16", "fr",
         "Ce guide rassemble les usages qui rendent le réseau social d’entreprise (RSE) utile à "
         "tous. Il complète la charte d’utilisation.",
         "# Poser une question",
         "Publiez votre question dans le groupe thématique le plus proche du sujet, avec un titre "
         "qui décrit le problème et des tags. Une question posée en public profite à tous ceux qui "
         "se la poseront plus tard ; une question posée en message privé est perdue.",
         "# Répondre et capitaliser",
         "- répondez même partiellement : une piste vaut mieux que le silence\n"
         "- citez vos sources (document, procédure, ticket)\n"
         "- l’auteur de la question accepte la réponse qui a résolu son problème\n"
         "- quand une discussion aboutit à une règle, formalisez-la dans SharePoint et mettez le "
         "lien",
         "# Animer un groupe",
         "Chaque groupe a un animateur qui accueille les nouveaux membres, relance les questions "
         "sans réponse après 48 heures et publie un résumé mensuel. Les responsables knowledge "
         "management (Claire à Lyon, James à Londres) accompagnent les animateurs.",
         "# Trouver un expert",
         "Les profils déclaratifs sont souvent incomplets. Pour trouver qui sait, cherchez qui a "
         "répondu sur le sujet dans les groupes, et complétez votre propre profil avec les "
         "compétences que vous mettez réellement en œuvre."),
    _doc("devops/runbook-kubernetes.md", "Kubernetes deployment runbook", "g-devops", "p-sarah",
         "kubernetes runbook helm", "2025-03-10", "en",
         "How to ship a service to the Valtorre clusters, and what to do when it goes wrong.",
         "## Deploy",
         "- merge to `main`: GitLab CI builds and pushes the image\n"
         "- bump the image tag in the `deploy` repository (Renovate does it for you)\n"
         "- Argo CD syncs the Helm release within three minutes",
         "```bash\n"
         "kubectl -n orvalis get rollout api-connect\n"
         "kubectl argo rollouts get rollout api-connect --watch\n"
         "```",
         "## Troubleshoot",
         "- `CrashLoopBackOff` with exit code 137: the container was OOMKilled, raise the memory "
         "limit\n"
         "- `ImagePullBackOff`: check the tag exists and the pull secret is present in the "
         "namespace\n"
         "- 502 from the ingress: missing or failing readiness probe\n"
         "- `Unauthorized` from kubectl: log in again through kubelogin (single sign-on)",
         "## Roll back",
         "`kubectl argo rollouts undo api-connect` returns to the previous revision. Then revert "
         "the tag in the `deploy` repository, otherwise Argo CD will roll forward again.",
         metadata="front_matter"),
    _doc("python/conventions-packaging.md", "Conventions de packaging Python", "g-python",
         "p-julien",
         "python packaging pyproject", "2025-02-03", "fr",
         "Règles communes pour les bibliothèques et applications Python de Valtorre.",
         "## Structure",
         "- layout `src/` et un seul paquet importable par projet\n"
         "- métadonnées dans `pyproject.toml` (PEP 621), backend hatchling\n"
         "- version tirée du tag git avec hatch-vcs",
         "## Dépendances",
         "Les bibliothèques déclarent des bornes basses (`numpy>=1.26`) ; les applications "
         "verrouillent leurs dépendances dans `requirements.lock` généré par `uv pip compile`.",
         "## Publication",
         "Le pipeline publie les wheels et le sdist sur le registre PyPI du groupe GitLab "
         "`rd/python` à chaque tag. Les extensions Cython sont construites avec cibuildwheel "
         "(wheels manylinux)."),
    _doc("finance/politique-voyages-notes-de-frais.pdf", "Politique voyages et notes de frais 2025",
         "g-finance", "p-karim", "notes-de-frais politique deplacements", "2025-01-13", "fr",
         "Cette politique s'applique à tous les salariés de Valtorre en France. Les filiales de "
         "Londres et de Montréal appliquent les mêmes principes avec des plafonds en devise "
         "locale.",
         "# Réservation",
         "Les billets de train et d'avion et les hôtels sont réservés via le portail de l'agence "
         "de voyages. Le train est obligatoire pour les trajets de moins de quatre heures.",
         "# Plafonds d'hébergement",
         "- Paris : 180 EUR TTC par nuit, petit-déjeuner inclus\n"
         "- province : 120 EUR TTC\n"
         "- Londres : 200 GBP\n"
         "- Montréal : 250 CAD",
         "# Repas",
         "Repas seul en déplacement : 25 EUR. Repas d'affaires : facture détaillée obligatoire, "
         "avec le nom et la société de chaque convive.",
         "# Indemnités kilométriques",
         "Remboursement au barème fiscal selon la puissance du véhicule. Le trajet domicile-bureau "
         "habituel est déduit.",
         "# Soumission",
         "Les notes de frais sont saisies dans Notilus avec les justificatifs photographiés dans "
         "l'application mobile, dans les 30 jours suivant la dépense. Remboursement le 10 et le 25 "
         "de chaque mois."),
    _doc("nantes/consignes-securite-nantes.txt", "Consignes de sécurité - usine de Nantes",
         "g-nantes",
         "p-mathieu", "securite consignes nantes", "2024-11-04", "fr",
         "À lire par tout salarié, intérimaire ou visiteur avant d'entrer dans les ateliers.",
         "1. Équipements de protection individuelle",
         "Chaussures de sécurité S3 et lunettes obligatoires au-delà de la ligne jaune. "
         "Protections auditives dans la zone d'essais hydrauliques. Visière pour les essais "
         "au-delà de 100 bar.",
         "2. Consignation",
         "Toute intervention sur une machine ou un banc d'essai se fait après consignation : "
         "séparer, condamner avec son cadenas personnel, identifier, purger la pression "
         "résiduelle, vérifier l'absence d'énergie.",
         "3. Circulation",
         "Piétons sur les allées vertes uniquement. Conduite des chariots réservée aux titulaires "
         "du CACES R489 avec autorisation du directeur d'usine.",
         "4. En cas d'accident",
         "Appeler le 18 puis le poste de garde (poste 2222). Défibrillateurs : accueil, bâtiment B "
         "(couloir des vestiaires), atelier d'usinage."),
    _doc("qhse/manuel-qualite-extrait.docx", "Manuel qualité - extrait (ISO 9001:2015)", "g-qhse",
         "p-olivier", "qualite iso-9001 manuel", "2025-04-22", "fr",
         "# Domaine d'application",
         "Conception, fabrication, essais et maintenance de vannes industrielles et d'actionneurs "
         "connectés Orvalis ; sites de Lyon et de Nantes.",
         "# Cartographie des processus",
         "- processus de management : stratégie, revue de direction, amélioration continue\n"
         "- processus de réalisation : conception, achats, production, essais, service client\n"
         "- processus support : ressources humaines, métrologie, informatique",
         "# Maîtrise des non-conformités",
         "Toute non-conformité est enregistrée dans l'outil qualité. La correction traite le "
         "produit ; l'action corrective traite la cause, et son efficacité est vérifiée à trois "
         "mois. Les non-conformités fournisseurs récurrentes donnent lieu à un rapport 8D.",
         "# Informations documentées",
         "La version de référence de chaque procédure et mode opératoire est dans la GED qualité, "
         "avec indice de révision et approbation. Les copies papier au poste de travail sont "
         "datées."),
    _doc("orvalis/ov-300-troubleshooting.html", "OV-300 actuator troubleshooting guide",
         "g-orvalis",
         "p-kevin", "orvalis ov-300 support troubleshooting", "2025-05-19", "en",
         "Level 1 and level 2 guide for the Orvalis OV-300 connected actuator and the Orvalis Hub.",
         "# Error codes",
         "- E03: supply voltage below 21 V. Check the power supply and cable section\n"
         "- E07: motor over-torque. The valve is blocked or the seat is damaged\n"
         "- E14: position sensor calibration lost. Run Device > Maintenance > Calibrate in Orvalis "
         "Connect\n"
         "- E21: no communication with the Hub for more than 10 minutes",
         "# Hub connectivity",
         "The Hub talks Modbus TCP on port 502 to the customer's PLCs and Modbus RTU over RS-485 "
         "to the actuators (32 per segment since release 3.2). It needs NTP (UDP 123) at start-up, "
         "otherwise alarm timestamps are wrong.",
         "# Escalation",
         "Escalate to level 2 with the Hub serial number, the firmware version and a diagnostic "
         "export. Premium customers: P1 answered within one hour, 24/7."),
    _doc("data/power-bi-guide.md", "Power BI at Valtorre: getting started", "g-data", "p-emma",
         "power-bi dax guide", "2025-06-09", "en",
         "A short guide for people building their first report on company data.",
         "## Data sources",
         "Use the certified datasets (sales, finance, Orvalis telemetry) instead of importing your "
         "own Excel extracts. On-premises SQL sources go through the data gateway.",
         "## Measures",
         "```\n"
         "Sales YTD = TOTALYTD([Sales], 'Date'[Date], \"03-31\")\n"
         "Margin % = DIVIDE([Margin], [Sales])\n"
         "```",
         "Always use a date table marked as such; use `DIVIDE` rather than `/` to avoid errors on "
         "zero.",
         "## Sharing",
         "Publish an app from the workspace; restrict rows per site with row-level security. Do "
         "not share reports by exporting PDFs by email.",
         metadata="front_matter"),
    _doc("horizon/plan-de-bascule.md", "Plan de bascule S/4HANA - version 3", "g-horizon",
         "p-isabelle",
         "horizon bascule s4hana", "2025-11-17", "fr",
         "Plan de bascule du projet Horizon. Nom de code de la bascule finale : Vellimorte.",
         "## Lots",
         "- lot Brundelac : données de base fournisseurs et clients (terminé)\n"
         "- lot Ombrivane : comptabilité générale, immobilisations, interfaces des usines\n"
         "- lot Vellimorte : bascule finale et démarrage en production",
         "## Calendrier Vellimorte",
         "Gel des saisies le vendredi à 18h, extraction et chargement pendant la nuit, contrôle de "
         "la balance par société le dimanche avant 14h, réouverture le lundi à 7h.",
         "## Critères de retour arrière",
         "Écart de balance non expliqué supérieur à 0,01 %, ou interfaces des usines indisponibles "
         "plus de quatre heures. Décision prise par le comité de pilotage Vellimorte."),
    _doc("codir/note-strategique-2026.docx", "Note de synthèse - opération Draxomel", "g-codir",
         "p-francois", "quintarel acquisition confidentiel", "2025-12-01", "fr",
         "# Objet",
         "Structuration financière de l'opération Draxomel : acquisition de 100 % du capital de la "
         "société cible du projet Quintarel.",
         "# Montage proposé",
         "- financement par dette bancaire à hauteur de 60 %\n"
         "- complément de prix indexé sur le chiffre d'affaires 2027 des capteurs\n"
         "- maintien de l'équipe dirigeante pendant deux ans",
         "# Calendrier",
         "Signature de la lettre d'intention en janvier, audit de due diligence en février, "
         "signing Draxomel visé fin mars sous réserve de l'accord du conseil."),
    _doc("kestrel/kessivor-integration-plan.pdf", "Kessivor pilot - integration plan", "g-kestrel",
         "p-kevin", "kessivor integration modbus", "2025-07-28", "en",
         "Joint integration plan between Valtorre and Kestrel Automation for the Kessivor pilot "
         "pumping station.",
         "# Scope",
         "Twelve OV-300 actuators, two Orvalis Hubs, Kestrel SCADA. Modbus TCP between the Hubs "
         "and the SCADA, register map v3.",
         "# Tests",
         "- soak test with the Plumtacle harness, polling every second, two weekends\n"
         "- factory acceptance test at the Nantes plant in March\n"
         "- site acceptance test after installation",
         "# Contacts",
         "Valtorre: Kevin Chen (support engineering), Lucas Bernard (product). Kestrel Automation: "
         "Ian McAllister (integration), Fiona Grant (project management)."),
    _doc("km/charte-utilisation-rse.txt", "Charte d'utilisation du réseau social d'entreprise",
         "g-km",
         "p-claire", "documentation", "2024-06-03", "fr",
         "Le réseau social d'entreprise est un espace professionnel ouvert à tous les salariés de "
         "Valtorre et, sur invitation, à certains partenaires.",
         "Chacun s'exprime en son nom, avec courtoisie, dans le respect de la confidentialité des "
         "informations de l'entreprise et de ses clients. Les informations confidentielles ne se "
         "partagent que dans les groupes privés ou secrets prévus à cet effet.",
         "Les contenus injurieux, discriminatoires ou contraires au règlement intérieur peuvent "
         "être retirés par les administrateurs de la plateforme.",
         "Les données personnelles publiées sont traitées conformément au RGPD ; chacun peut "
         "exercer ses droits auprès de la déléguée à la protection des données.",
         metadata="defaults"),
)

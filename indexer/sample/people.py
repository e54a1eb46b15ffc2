"""Valtorre's people and groups (hand-written; members of open groups are completed at build)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.records import Group, GroupVisibility, Person

COMPANY = "Valtorre"
PARTNER = "Kestrel Automation Ltd"

# When departed people left: nothing they wrote is dated later.
DEPARTURES = {"p-bernard": datetime(2025, 6, 27, tzinfo=UTC)}


def _p(pid: str, name: str, title: str = "", department: str = "", location: str = "",
       languages: str = "", skills: tuple[str, ...] = (), about: str = "",
       **extra: object) -> Person:
    company = extra.pop("company", COMPANY if title else "")
    return Person(pid, name, title, department, location, str(company), tuple(languages.split()),
                  skills, about, **extra)  # type: ignore[arg-type]


PEOPLE: tuple[Person, ...] = (
    _p("p-helene", "Hélène Vasseur", "Directrice générale", "Direction générale", "Lyon", "fr en",
       ("stratégie", "leadership", "relations investisseurs"),
       "Directrice générale de Valtorre depuis 2019, après quinze ans dans l’industrie des "
       "fluides. J’essaie de lire tout ce qui se passe ici, même si je réponds peu."),
    _p("p-francois", "François Mercier", "Directeur administratif et financier", "Finance", "Lyon",
       "fr en", ("finance d'entreprise", "contrôle de gestion", "fusions-acquisitions")),
    _p("p-antoine", "Antoine Roussel", "Directeur de l'ingénierie", "Ingénierie", "Nantes", "fr en",
       ("management", "hydraulique", "gestion de projet"),
       "Je dirige les équipes d'ingénierie mécanique, électronique et logiciel (Nantes, Lyon, "
       "Montréal)."),
    _p("p-claire", "Claire Dubois", "Responsable knowledge management", "Communication interne",
       "Lyon",
       "fr en", ("knowledge management", "animation de communautés", "réseau social d'entreprise",
                 "conduite du changement"),
       "Je coordonne la démarche knowledge management de Valtorre depuis 2021 : animation des "
       "communautés de pratique, cartographie des savoirs critiques et accompagnement des groupes "
       "sur le réseau social d’entreprise. Avant cela, dix ans à la communication interne. "
       "N’hésitez pas à me solliciter pour lancer un groupe !", roles=("km_lead",)),
    _p("p-james", "James Whitfield", "Knowledge & Learning Lead", "People & Learning", "London",
       "en fr",
       ("knowledge management", "communities of practice", "e-learning", "instructional design"),
       "I look after learning and knowledge sharing for the UK and Canadian teams: onboarding, "
       "communities of practice and our lunch & learn sessions. Former technical writer. "
       "I speak decent French, with a strong accent.", roles=("km_lead",)),
    _p("p-nadia", "Nadia Benali", "Administratrice de la plateforme collaborative", "DSI", "Lyon",
       "fr en ar", ("Microsoft 365", "administration RSE", "gestion des identités"),
       "J'administre la plateforme collaborative (RSE, Microsoft 365, annuaire). Pour créer un "
       "groupe secret ou récupérer un accès, passez par le portail DSI.", roles=("admin",)),
    _p("p-thomas", "Thomas Lefèvre", "Ingénieur DevOps", "DSI - Plateforme", "Lyon", "fr en",
       ("Kubernetes", "GitLab CI", "Terraform", "Ansible"),
       "Ingénieur DevOps dans l’équipe plateforme. Je maintiens les clusters Kubernetes, les "
       "runners GitLab et l’outillage d’infrastructure as code. Ancien développeur Java, converti "
       "aux conteneurs en 2018."),
    _p("p-sarah", "Sarah O'Brien", "Platform Engineer", "IT - Platform", "London", "en",
       ("Kubernetes", "Helm", "AWS"),
       "Platform engineer in London. I run the Kubernetes platform with Thomas and help teams "
       "containerise their services. Ask me about Helm charts, ingress and observability."),
    _p("p-julien", "Julien Moreau", "Développeur Python senior", "R&D logiciel", "Nantes", "fr en",
       ("Python", "Java", "packaging"),
       "Développeur Python depuis douze ans, je maintiens les bibliothèques de calcul hydraulique "
       "et les outils internes. J'aime les pipelines propres et les versions reproductibles."),
    _p("p-priya", "Priya Raman", "Data Scientist", "Data & Analytics", "London", "en",
       ("machine learning", "scikit-learn", "MLOps", "forecasting"),
       "Data scientist working on predictive maintenance for the Orvalis product line and on "
       "demand forecasting for spare parts. PhD in statistics, previously at a rail operator."),
    _p("p-ines", "Inès Carvalho", "Ingénieure R&D"),
    _p("p-bernard", "Bernard Roux", "Expert SAP FI/CO", "Finance", "Lyon", "fr en",
       ("SAP FI", "SAP CO", "ABAP"),
       "Référent SAP finance (FI/CO) depuis 2009 : clôtures, immobilisations, interfaces achats. "
       "Formateur interne SAP.", status="departed"),
    _p("p-isabelle", "Isabelle Fontaine", "Cheffe de projet ERP", "DSI - Applications", "Lyon",
       "fr en",
       ("SAP S/4HANA", "gestion de projet", "conduite du changement"),
       "Cheffe de projet ERP à la DSI : je pilote le passage à SAP S/4HANA."),
    _p("p-elodie", "Élodie Martin", "Déléguée à la protection des données (DPO)", "Juridique",
       "Lyon",
       "fr en", ("RGPD", "droit du numérique", "analyse d'impact"),
       "Déléguée à la protection des données de Valtorre (France, Royaume-Uni, Canada). Je réponds "
       "à vos questions RGPD / GDPR ; pour les demandes formelles, écrivez à "
       "dpo@valtorre.example."),
    _p("p-karim", "Karim Haddad", "Responsable comptabilité fournisseurs", "Finance", "Lyon", "fr",
       ("comptabilité", "notes de frais", "SAP FI"),
       "Comptabilité fournisseurs et circuit des notes de frais."),
    _p("p-sophie", "Sophie Laurent", "Chargée de développement RH", "Ressources humaines", "Nantes",
       "fr en", ("onboarding", "formation", "marque employeur"),
       "J’accompagne les managers dans l’intégration des nouveaux arrivants et je coordonne les "
       "parcours de formation des sites de Nantes et de Lyon."),
    _p("p-olivier", "Olivier Petit", "Responsable qualité", "Qualité", "Nantes", "fr en",
       ("ISO 9001", "audit interne", "amélioration continue", "ISO 14001"),
       "Responsable qualité du site de Nantes et pilote du système de management ISO 9001 du "
       "groupe. Auditeur interne certifié."),
    _p("p-mathieu", "Mathieu Garnier", "Responsable HSE", "QHSE", "Nantes", "fr en",
       ("sécurité au travail", "prévention des risques", "ISO 45001"),
       "Responsable HSE de l'usine de Nantes : prévention, analyse des accidents, formations "
       "sécurité. Sapeur-pompier volontaire le week-end."),
    _p("p-yann", "Yann Le Gall", "Directeur d'usine", "Production", "Nantes", "fr",
       ("production", "Lean manufacturing", "TPM"),
       "Directeur de l’usine de Nantes : usinage, assemblage et bancs d’essais hydrauliques."),
    _p("p-genevieve", "Geneviève Tremblay", "Gestionnaire, soutien à la clientèle",
       "Service client",
       "Montréal", "fr en", ("service client", "Zendesk", "gestion d'équipe"),
       "Je dirige l’équipe de soutien à la clientèle à Montréal : huit agents, deux langues, et "
       "une permanence 24/7 pour nos clients Premium."),
    _p("p-kevin", "Kevin Chen", "Support Engineer", "Customer Support", "Montréal", "en fr",
       ("Orvalis", "Modbus", "OPC UA", "Linux"),
       "Level 2 support engineer for Orvalis actuators and the Orvalis Hub gateway. Industrial "
       "networks, Linux, firmware debugging."),
    _p("p-lucas", "Lucas Bernard", "Chef de produit Orvalis", "Produit", "Lyon", "fr en",
       ("product management", "IoT", "roadmap"),
       "Chef de produit de la gamme Orvalis : actionneurs connectés OV-200 et OV-300, passerelle "
       "Orvalis Hub et application Orvalis Connect."),
    _p("p-emma", "Emma Thompson", "BI Analyst", "Data & Analytics", "London", "en",
       ("Power BI", "DAX", "Tableau", "SQL"),
       "I build the finance and sales dashboards in Power BI and maintain the data models behind "
       "them."),
    _p("p-nicolas", "Nicolas Faure", "Contrôleur de gestion", "Finance", "Nantes", "fr",
       ("Excel", "VBA", "contrôle de gestion"), opted_out=True),
    _p("p-david", "David Kowalski", "IT Security Officer", "IT - Security", "London", "en fr",
       ("cybersecurity", "ISO 27001", "penetration testing", "SIEM"),
       "Information security officer. Report phishing to security@valtorre.example."),
    _p("p-oliver", "Oliver Hughes", "Sales Engineer", "Sales UK", "London", "en",
       ("Salesforce", "pre-sales", "industrial valves")),
    _p("p-alice", "Alice Ng", "Project Manager", "Engineering", "London", "en",
       ("project management", "PRINCE2", "MS Project"),
       "Project manager in London, currently on the water utility programmes."),
    _p("p-camille", "Camille Perrin", "Développeuse junior", "R&D logiciel", "Lyon", "fr en",
       ("Python", "JavaScript")),
    _p("p-hugo", "Hugo Blanc", "Ingénieur mécanique", "Ingénierie", "Nantes", "fr",
       ("SolidWorks", "calcul de structures")),
    _p("p-benoit", "Benoît Lacroix", "Technicien de service terrain", "Service client", "Montréal",
       "fr"),
    _p("p-amelie", "Amélie Gagnon", "Conseillère RH", "Ressources humaines", "Montréal", "fr en",
       ("paie", "avantages sociaux")),
    _p("p-laura", "Laura Bianchi", "Chargée de communication", "Communication interne", "Lyon",
       "fr en it",
       ("communication interne", "rédaction")),
    _p("p-marie", "Marie Lambert", "Assistante de direction"),
    _p("p-chloe", "Chloé Roy"),
    _p("p-pierre", "Pierre Durand"),
    _p("p-ryan", "Ryan Patel"),
    _p("p-ian", "Ian McAllister", "Lead Integration Engineer", "Integration", "Manchester", "en",
       ("SCADA", "Modbus", "water utilities"), company=PARTNER, guest=True),
    _p("p-fiona", "Fiona Grant", "Project Manager", "Projects", "Manchester", "en",
       company=PARTNER, guest=True),
)

EMPLOYEES = tuple(p.id for p in PEOPLE if not p.guest)


def _g(gid: str, name: str, kind: str, visibility: GroupVisibility, description: str,
       members: tuple[str, ...], guests: tuple[str, ...] = ()) -> Group:
    return Group(gid, name, kind, visibility, description, frozenset(members), frozenset(guests))


# Members listed here are the core; for open groups the build adds everyone who wrote there.
GROUPS: tuple[Group, ...] = (
    _g("g-cafe", "Le Café Valtorre", "general", "open",
       "Discussions libres, petites annonces et vie des sites. Off-topic chat for everyone.",
       EMPLOYEES),
    _g("g-devops", "DevOps, CI/CD & Kubernetes", "theme", "open",
       "Pipelines GitLab CI, clusters Kubernetes, infrastructure as code. Questions welcome in "
       "French or English.", ("p-thomas", "p-sarah", "p-nadia", "p-julien", "p-camille")),
    _g("g-python", "Python @ Valtorre", "theme", "open",
       "Packaging, bonnes pratiques et bibliothèques internes Python.",
       ("p-julien", "p-camille", "p-priya", "p-ines")),
    _g("g-data", "Data, BI & Machine Learning", "theme", "open",
       "Power BI, Excel, data science and machine learning on Orvalis telemetry.",
       ("p-priya", "p-ines", "p-emma", "p-nicolas", "p-karim")),
    _g("g-km", "Communauté KM & RSE", "theme", "open",
       "La communauté du knowledge management et du réseau social d'entreprise : méthodes, retours "
       "d'expérience, animation des groupes.", ("p-claire", "p-james", "p-nadia", "p-laura")),
    _g("g-finance", "Finance, achats & notes de frais", "function", "open",
       "Questions sur SAP, la comptabilité fournisseurs, les achats et les notes de frais.",
       ("p-francois", "p-karim", "p-nicolas", "p-isabelle", "p-bernard", "p-marie")),
    _g("g-rh", "RH - Ressources humaines / People", "function", "open",
       "Intégration, formation, télétravail, vie au travail. HR questions for all sites.",
       ("p-sophie", "p-james", "p-amelie")),
    _g("g-qhse", "Qualité, Sécurité, Environnement (QHSE)", "function", "open",
       "Système de management ISO 9001, sécurité au travail, environnement.",
       ("p-olivier", "p-mathieu", "p-yann")),
    _g("g-orvalis", "Orvalis - ligne de produits / product line", "product", "open",
       "Actionneurs connectés OV-200 / OV-300, passerelle Orvalis Hub, application Orvalis Connect "
       ": support, retours clients et roadmap.", ("p-lucas", "p-kevin", "p-genevieve", "p-oliver")),
    _g("g-nantes", "Site de Nantes - usine", "site", "open",
       "La vie de l'usine de Nantes : production, sécurité, événements du site.",
       ("p-yann", "p-mathieu", "p-olivier", "p-hugo", "p-antoine")),
    _g("g-veille", "Veille KM & RSE", "internet", "open",
       "Veille externe sur le knowledge management et les réseaux sociaux d'entreprise "
       "(flux RSS importés). External industry news.", ("p-claire", "p-james")),
    _g("g-horizon", "Projet Horizon - migration S/4HANA", "project", "private",
       "Groupe de travail du projet de migration vers SAP S/4HANA.",
       ("p-isabelle", "p-francois", "p-karim", "p-nicolas", "p-thomas", "p-nadia", "p-bernard")),
    _g("g-kestrel", "Orvalis x Kestrel - intégration", "project", "private",
       "Shared with our integration partner Kestrel Automation for a joint water utility project.",
       ("p-lucas", "p-kevin", "p-genevieve", "p-oliver", "p-antoine"), ("p-ian", "p-fiona")),
    _g("g-codir", "Comité de direction", "function", "secret",
       "Échanges du comité de direction.",
       ("p-helene", "p-francois", "p-antoine", "p-yann", "p-marie")),
)

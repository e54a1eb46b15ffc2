"""Hand-written Q&A threads: SAP, expenses, GDPR, onboarding, telework, knowledge management."""

from __future__ import annotations

from indexer.sample.spec import Topic, answer, ask, comment

SAP = Topic(
    "sap & erp", "g-finance",
    experts={"p-bernard": 4, "p-isabelle": 2},
    askers=("p-karim", "p-marie", "p-francois", "p-nicolas", "p-hugo", "p-yann", "p-alice",
            "p-camille"),
    crowd=("p-karim", "p-nicolas", "p-marie"),
    threads=(
        ask("fr", "Annuler une facture fournisseur comptabilisée en double",
            "sap miro comptabilite",
            "J'ai saisi deux fois la même facture fournisseur dans MIRO. Comment l'annuler "
            "proprement ?",
            answer("p-bernard", "Pour une facture saisie par MIRO, ne passe pas par FB08 : utilise "
                   "**MR8M** (annulation de pièce facture). Indique le numéro de pièce, l’exercice "
                   "et le motif d’annulation (01 si même période, 02 si la période est close). SAP "
                   "génère une pièce d’extourne et la commande redevient « à facturer ».",
                   "Si le paiement est déjà parti, préviens la trésorerie avant."),
            accept=0),
        ask("fr", "Erreur « Période comptable 012 non ouverte » en saisie", "sap cloture periode",
            "Je ne peux plus saisir mes factures de décembre, SAP me dit que la période 012 n'est "
            "pas ouverte.",
            answer("p-bernard",
                   "Les périodes s’ouvrent dans OB52, mais c’est la comptabilité générale qui les "
                   "gère : ne l’ouvre surtout pas toi-même. Pendant la clôture, la période 012 "
                   "n’est ouverte que pour les comptes de régularisation. Passe ta facture en "
                   "période 013 si c’est une écriture de clôture, sinon attends l’ouverture de "
                   "janvier."),
            answer("O", "Même souci l'an dernier, il fallait demander à la compta générale."),
            accept=0),
        ask("en", "Which purchase order does this goods receipt belong to?", "sap achats reception",
            "I have a material document number from the Nantes warehouse but no PO reference.",
            answer("p-bernard",
                   "MB03 with the material document number shows the purchase order in the item "
                   "details. The other way round: ME23N, then the 'Purchase order history' tab "
                   "lists every goods receipt and invoice for the order."),
            accept=0),
        ask("fr", "Centre de coût bloqué pour l'imputation",
            "sap centre-de-cout controle-de-gestion",
            "Message « centre de coût 4100 bloqué pour les coûts primaires » quand j'impute une "
            "facture de maintenance.",
            answer("E", "Regarde le centre dans KS03 : 4100 est bloqué depuis la réorganisation de "
                   "l’atelier. Les coûts de maintenance vont maintenant sur 4120. Le contrôle de "
                   "gestion peut te confirmer l’imputation.")),
        ask("fr", "Export SAP vers Excel qui tronque les montants", "sap excel export",
            "Quand j'exporte le grand livre depuis FBL3N, les montants supérieurs à 999 999 sont "
            "coupés.",
            answer("E", "C’est le format de liste par défaut. Utilise l’export « Tableur » "
                   "(Ctrl+Maj+F7) plutôt que le presse-papier, et choisis le format XLSX. Vérifie "
                   "aussi ta variante de mise en page : une colonne trop étroite tronque aussi à "
                   "l’export."),
            answer("O",
                   "Autre astuce : passer par « Fichier local » en texte avec tabulations, puis "
                   "ouvrir dans Excel."),
            accept=0),
        ask("en", "When exactly do we switch to S/4HANA?", "sap s4hana horizon",
            "I keep hearing about the S/4HANA migration. When will it change things for finance "
            "users?",
            answer("p-isabelle",
                   "Go-live is planned after the year-end closing. Finance users will get "
                   "two half-day training sessions beforehand, announced in this group. Most "
                   "transactions keep their codes; the big change is the Fiori launchpad."),
            accept=None),
        ask("fr", "Différence entre commande d'achat et contrat cadre ?",
            "sap achats contrat-cadre",
            "Pour les joints commandés chaque semaine au même fournisseur, on me conseille un "
            "contrat cadre. Quel intérêt ?",
            answer("p-bernard",
                   "Le contrat cadre (ME31K) fixe prix et quantité cible sur une durée ; chaque "
                   "commande (ME21N) y fait référence. Tu gagnes la validation une seule fois, un "
                   "suivi de consommation du contrat, et les prix ne sont plus ressaisis. Pour des "
                   "livraisons très régulières, regarde aussi le programme de livraison (ME31L).")),
        ask("fr", "Amortissement d'une immobilisation mise en service en cours de mois",
            "sap immobilisations",
            "On a mis en service le nouveau banc d'essai le 17. Comment SAP calcule le prorata ?",
            answer("p-bernard",
                   "Ça dépend de la clé de période de la classe d’immobilisation : chez nous, mise "
                   "en service avant le 15 = mois complet, après = à partir du mois suivant. Donc "
                   "départ au 1er du mois prochain. Tu peux simuler dans AW01N avant la clôture."),
            accept=0),
        ask("fr", "Qui remplace Bernard pour les questions SAP FI ?", "sap support",
            "Depuis le départ de Bernard, je ne sais plus à qui poser mes questions sur les "
            "clôtures et les immobilisations. Il y a un nouveau référent ?", days=(40, 150)),
        ask("fr", "Créer un fournisseur étranger sans numéro de TVA dans SAP",
            "sap fournisseurs tva",
            "Un fournisseur canadien n'a pas de numéro de TVA intracommunautaire et la création "
            "bloque. Quel groupe de comptes utiliser ?", days=(20, 120)),
        ask("en", "How to reprint a payment advice in SAP?", "sap paiement",
            "A supplier asks for the payment advice of last month's transfer.",
            answer("E",
                   "Use F110, select the payment run, then Edit > Payment medium > Schedule print. "
                   "If you only need the list of paid invoices, FBL1N filtered on the clearing "
                   "document is quicker and can be sent as a PDF.")),
    ),
)

EXPENSES = Topic(
    "notes de frais", "g-finance",
    experts={"p-karim": 3, "p-marie": 2},
    askers=("p-hugo", "p-alice", "p-oliver", "p-benoit", "p-camille", "p-lucas", "p-ryan",
            "p-sophie",
            "p-kevin", "p-pierre"),
    threads=(
        ask("fr", "Plafond de remboursement pour une nuit d’hôtel à Paris ?",
            "notes-de-frais deplacements hotel",
            "Je vais au salon Pollutec, les hôtels proches sont à 210 € la nuit. C'est remboursé ?",
            answer("p-karim", "La politique voyages fixe 180 € TTC petit-déjeuner inclus à Paris, "
                   "120 € en province, 200 £ à Londres et 250 $CA à Montréal. Au-delà, il faut "
                   "l’accord préalable de ton manager dans Notilus, avec un commentaire qui "
                   "justifie (salon, pas d’alternative).",
                   "La politique complète est dans les documents du groupe."),
            accept=0),
        ask("en", "Claiming expenses paid in pounds with a French card",
            "notes-de-frais expenses currency",
            "I paid a hotel in London with my French bank card. Do I claim in euros or pounds?",
            answer("E",
                   "Enter the amount in GBP with the receipt; Notilus converts at the ECB rate of "
                   "the transaction date. If your bank charged conversion fees, add them as a "
                   "separate line ('frais bancaires') with the bank statement as proof."),
            accept=0),
        ask("fr", "Note de frais refusée : « justificatif illisible »",
            "notes-de-frais justificatifs notilus",
            "Ma note de frais a été rejetée pour justificatif illisible. J'avais pris le ticket en "
            "photo.",
            answer("p-karim",
                   "Il faut une photo nette du ticket entier (date, montant, TVA, nom du "
                   "commerçant). Le plus simple : l’appli mobile Notilus, qui recadre l’image. "
                   "Depuis la dématérialisation, tu n’as plus à envoyer l’original papier, mais "
                   "garde-le jusqu’au remboursement."),
            comments=(comment("Q", "D'accord, je refais la photo avec l'appli."),)),
        ask("fr", "Indemnités kilométriques avec mon véhicule personnel",
            "notes-de-frais indemnites-kilometriques",
            "Je vais régulièrement chez un client à Saint-Nazaire avec ma voiture. Comment c'est "
            "remboursé ?",
            answer("p-karim",
                   "Au barème fiscal des indemnités kilométriques, selon la puissance fiscale de "
                   "ta voiture : joins la carte grise une fois dans ton profil Notilus. Indique le "
                   "trajet et le motif ; le trajet domicile-bureau habituel est déduit. Péages et "
                   "parking en plus, avec justificatifs."),
            accept=0),
        ask("en", "Is there a per diem for the Montréal trip?",
            "notes-de-frais expenses travel montreal",
            "I'm going to Montréal for two weeks for the support team training. Per diem or actual "
            "costs?",
            answer("E",
                   "No per diem: actual costs within caps. Meals up to 35 CAD for lunch and 60 CAD "
                   "for dinner, taxes and tip included; the hotel cap is 250 CAD. Book flights and "
                   "hotel through the travel agency portal so they are not on your claim at all."),
            answer("O", "Tip: the office has a corporate rate with the hotel on René-Lévesque.")),
        ask("fr", "Repas d'affaires avec un client : qui doit figurer sur la note ?",
            "notes-de-frais repas-affaires tva",
            "J'ai invité deux personnes de chez un client. Qu'est-ce que je dois indiquer ?",
            answer("p-karim",
                   "Les noms et sociétés de tous les convives (toi compris), l’objet du repas et "
                   "la facture détaillée du restaurant, pas seulement le ticket de carte bancaire "
                   ": sans facture on ne récupère pas la TVA."),
            accept=0),
        ask("en", "Can I expense a standing desk for working from home?",
            "notes-de-frais teletravail equipment",
            "My back hurts after long days at home. Could a standing desk go on an expense claim?"),
        ask("fr", "Délai de remboursement des notes de frais ?", "notes-de-frais remboursement",
            "J'ai avancé 900 € pour un déplacement à Londres, ça prend combien de temps ?",
            answer("O", "Chez moi ça a pris trois semaines la dernière fois."),
            answer("p-karim", "Les virements partent le 10 et le 25 de chaque mois pour les notes "
                   "validées par le manager avant le 5 et le 20. Si ta note attend la validation "
                   "de ton manager, relance-le : c’est l’étape qui bloque le plus souvent. Pour "
                   "les gros montants, une avance sur frais est possible."),
            accept=1),
        ask("fr", "Carte affaires ou avance de frais pour les techniciens terrain ?",
            "notes-de-frais carte-affaires",
            "Nos techniciens avancent beaucoup de frais (hôtel, carburant). Existe-t-il une carte "
            "affaires ?",
            answer("E",
                   "Oui, une carte affaires à débit différé est possible à partir de 6 "
                   "déplacements par an. La demande se fait par le manager via le portail finance "
                   "; les dépenses remontent directement dans Notilus, il ne reste qu’à joindre "
                   "les justificatifs.")),
    ),
)

GDPR = Topic(
    "rgpd / gdpr", None,
    experts={"p-elodie": 1},
    askers=("p-sophie", "p-lucas", "p-genevieve", "p-priya", "p-emma", "p-camille", "p-oliver",
            "p-amelie",
            "p-laura", "p-alice"),
    threads=(
        ask("fr", "Combien de temps garder les CV des candidats non retenus ?",
            "rgpd recrutement conservation",
            "On a une pile de CV de l'an dernier dans le dossier partagé du recrutement. On les "
            "garde ?",
            answer("E", "Deux ans maximum après le dernier contact avec le candidat, c’est la "
                   "recommandation de la CNIL au titre du RGPD, et à condition de l’avoir informé. "
                   "Les CV qui traînent dans un dossier partagé doivent être supprimés : seul "
                   "l’outil de recrutement applique la durée de conservation automatiquement."),
            accept=0),
        ask("en", "Exporting customer contacts to my own Excel for a trade show?",
            "gdpr crm salesforce",
            "I'd like the list of UK customer contacts on my laptop for the trade show next week. "
            "Is a Salesforce export fine?",
            answer("E", "Not on a personal device or account, and only the columns you need (name, "
                   "company, email). Keep it in your OneDrive, not on a USB stick, and delete it "
                   "after the show. Better: use the Salesforce mobile app on the stand, then "
                   "nothing leaves the CRM."),
            accept=0),
        ask("fr", "Faut-il une AIPD pour la télémétrie Orvalis ?", "rgpd aipd orvalis telemetrie",
            "La nouvelle version de l'application Orvalis Connect remonte la géolocalisation des "
            "installations avec le compte de l'exploitant. Faut-il une analyse d'impact ?",
            answer("E", "La télémétrie d’une vanne n’est pas une donnée personnelle en soi, mais "
                   "associée au compte d’un exploitant identifié et à une géolocalisation, elle le "
                   "devient. Avec un suivi régulier et à grande échelle, l’analyse d’impact (AIPD) "
                   "est prudente. On la lance ensemble : je t’envoie le modèle et on bloque deux "
                   "heures avec l’équipe produit.")),
        ask("en", "A customer asks us to delete all their data: what's the process?",
            "gdpr droit-effacement support",
            "A former customer emailed support asking us to erase everything we hold about him.",
            answer("E", "That's a right-to-erasure request (GDPR article 17). Forward it to "
                   "dpo@valtorre.example within 48 hours; we have one month to answer. Don't "
                   "delete anything yourself: invoices must be kept ten years for accounting, so "
                   "we erase what we can and tell the person what we keep and why."),
            comments=(comment("Q", "Forwarded, thanks Élodie."),),
            accept=0),
        ask("fr", "Photos d'équipe sur le réseau social : faut-il le consentement ?",
            "rgpd droit-image rse",
            "Pour le pot de départ, on voudrait publier des photos de l'équipe dans le groupe du "
            "site.",
            answer("E", "Oui : demande l’accord des personnes reconnaissables avant de publier, un "
                   "message écrit suffit. Si quelqu’un refuse, floute ou choisis une autre photo. "
                   "Et pas de photos d’enfants lors des journées familles sans l’accord des "
                   "parents."),
            answer("O",
                   "On fait signer une petite fiche à l'accueil pour les événements, c'est "
                   "pratique.")),
        ask("en", "Does Québec's Law 25 apply to our Montréal CRM too?", "gdpr loi-25 quebec",
            "We are setting up a separate CRM instance for Canadian customers. GDPR, Law 25, "
            "both?"),
        ask("fr", "Envoyer un fichier Excel avec des données RH par mail ?",
            "rgpd securite messagerie",
            "Je dois transmettre au cabinet de paie un fichier avec salaires et numéros de "
            "sécurité sociale.",
            answer("E",
                   "Jamais en pièce jointe simple. Utilise le lien de partage sécurisé OneDrive "
                   "avec date d’expiration, restreint à l’adresse du destinataire. À défaut, une "
                   "archive 7-Zip chiffrée AES-256, avec le mot de passe envoyé par un autre canal "
                   "(SMS). Vérifie aussi que le contrat avec le cabinet comporte la clause de "
                   "sous-traitance."),
            accept=0),
        ask("en", "Can we record Teams meetings for people who missed them?",
            "gdpr teams enregistrement",
            "Our weekly support meeting would be easier to follow if we recorded it.",
            answer("E",
                   "Yes, if participants are told at the start and the recording is only kept as "
                   "long as useful (we say 90 days). Teams shows a banner; mention it in the "
                   "invitation too. Don't record HR or performance conversations.")),
    ),
)

ONBOARDING = Topic(
    "onboarding", "g-rh",
    experts={"p-sophie": 3, "p-james": 2},
    askers=("p-camille", "p-hugo", "p-alice", "p-ryan", "p-oliver", "p-antoine", "p-lucas",
            "p-benoit",
            "p-yann"),
    threads=(
        ask("fr", "Checklist d’arrivée pour un nouvel alternant ?",
            "onboarding integration alternance",
            "Un alternant arrive dans mon équipe le mois prochain, c’est mon premier. Qu’est-ce "
            "que je dois préparer ?",
            answer("E", "Voici l’essentiel :",
                   "- poste informatique commandé 10 jours avant via le portail DSI\n"
                   "- badge et accès demandés à l’accueil du site\n"
                   "- un parrain ou une marraine dans l’équipe\n"
                   "- inscription à la journée d’accueil (premier lundi du mois à Lyon)\n"
                   "- parcours d’intégration dans l’outil de formation",
                   "Et bloque un point avec l’école pour le calendrier d’alternance. Le livret "
                   "d’accueil est dans les documents du groupe."),
            accept=0),
        ask("en", "Onboarding a new hire in London: who orders the laptop?", "onboarding it london",
            "My new analyst starts on the 3rd. Who sorts out the laptop and accounts?",
            answer("E",
                   "The hiring manager raises a 'New starter' request in ServiceNow at least ten "
                   "working days before the start date; IT then ships the laptop and creates the "
                   "accounts. I run the welcome session on the first Tuesday of each month, I'll "
                   "add your analyst."),
            accept=0),
        ask("fr", "Parcours d'intégration : les modules e-learning sont obligatoires ?",
            "onboarding formation e-learning",
            "Le nouvel arrivant de l'équipe a une liste de douze modules. Tout est obligatoire ?",
            answer("E",
                   "Trois sont obligatoires : sécurité de l’information, RGPD et, pour les sites "
                   "industriels, l’accueil sécurité. Les autres sont conseillés selon le poste. "
                   "Compte une demi-journée la première semaine.")),
        ask("en", "How do I sign up as a buddy for new starters?", "onboarding buddy",
            "I'd like to help new colleagues settle in. Is there a buddy programme?",
            answer("E", "Yes! Fill in the form on the People & Learning page. There's a two-hour "
                   "training and we ask for a three-month commitment: a coffee in week one, then a "
                   "check-in every two weeks."),
            accept=0),
        ask("fr", "Premier jour : le nouvel arrivant n'a accès à rien", "onboarding acces comptes",
            "Ma stagiaire est arrivée ce matin, son compte n'est pas actif et elle n'a pas de mot "
            "de passe.",
            answer("O",
                   "Pareil pour mon alternant en septembre, ça s'est débloqué dans l'après-midi."),
            answer("E",
                   "Le compte s’active à 7h le jour J, mais le mot de passe initial est envoyé au "
                   "manager, pas à la personne : regarde tes mails de la semaine dernière (« "
                   "Identifiants nouvel arrivant »). Sinon, le support DSI peut le réinitialiser "
                   "sur présentation du badge.")),
        ask("fr", "Intégration des techniciens terrain à Montréal", "onboarding montreal terrain",
            "On recrute deux techniciens au Québec. Comment se passe leur intégration ?",
            answer("p-amelie",
                   "On fait une semaine au bureau (outils, sécurité, produits Orvalis), puis "
                   "deux semaines d’accompagnement sur le terrain avec un technicien expérimenté."),
            accept=None),
        ask("en", "Parental leave policy for the London office?", "rh conges london",
            "Where can I find the current parental leave policy for UK employees?"),
        ask("en", "Is there an org chart somewhere?", "onboarding organisation",
            "New here: is there an up-to-date org chart of the engineering teams?",
            answer("E", "The directory in Teams shows reporting lines (click a person, then "
                   "'Organisation'). For engineering there is also a slide in the welcome pack, "
                   "updated each quarter.")),
    ),
)

TELEWORK = Topic(
    "télétravail", "g-rh",
    experts={},
    askers=("p-camille", "p-hugo", "p-alice", "p-ryan", "p-laura", "p-kevin", "p-pierre", "p-chloe",
            "p-emma", "p-julien"),
    threads=(
        ask("fr", "Télétravail depuis l'étranger pendant trois semaines : autorisé ?",
            "teletravail etranger",
            "J'aimerais travailler depuis le Portugal cet été, chez ma sœur. Est-ce possible, et "
            "qu'en est-il de la sécurité sociale ?",
            answer("O", "Bonne question, ça m'intéresse aussi."),
            answer("O", "Je crois qu'il faut demander à son manager ? Ou aux RH peut-être."),
            accept=None),
        ask("en", "Is there a home office equipment allowance?", "teletravail equipment",
            "Do we get anything for a second screen or a chair when working from home?",
            answer("O", "I think Montréal has one but not London? Not sure."),
            accept=None),
        ask("fr", "Combien de jours de télétravail pour les cadres au forfait ?",
            "teletravail cadres",
            "Je lis des choses différentes selon les équipes : deux jours, trois jours, au cas par "
            "cas…",
            answer("O", "Chez nous c'est deux jours mais ça dépend des managers."),
            accept=None),
        ask("en", "Working remotely from Québec on a French contract?", "teletravail quebec",
            "My partner is moving to Montréal for a year. Could I keep my Lyon job and work from "
            "there?"),
        ask("fr", "Frais de connexion internet remboursés en télétravail ?",
            "teletravail indemnite",
            "Est-ce qu'il existe une indemnité télétravail pour la box internet ?",
            answer("O", "Il me semble qu'il y a une indemnité, mais je ne sais plus le montant."),
            answer("O", "+1, j'ai cherché dans l'intranet sans trouver."),
            accept=None, group="g-cafe"),
        ask("mixed", "Télétravail / remote work policy 2026 : des nouvelles ?",
            "teletravail politique",
            "On parle d'une nouvelle charte télétravail pour 2026. Any news from the London side? "
            "Is it the same policy for every site?",
            answer("O", "No idea, our manager said 'wait and see'.", lang="en"),
            accept=None, group="g-cafe", days=(20, 80)),
    ),
)

KNOWLEDGE = Topic(
    "knowledge management & rse", "g-km",
    experts={"p-claire": 3, "p-james": 2},
    askers=("p-laura", "p-lucas", "p-sophie", "p-genevieve", "p-antoine", "p-alice", "p-ryan",
            "p-nadia",
            "p-olivier"),
    threads=(
        ask("fr", "Comment retrouver un expert sur un sujet précis ?",
            "knowledge-management expertise rse",
            "Je cherche quelqu'un qui connaît les essais de cavitation. L'annuaire ne donne que "
            "les intitulés de poste.",
            answer("E",
                   "C’est tout l’enjeu du knowledge management ! Aujourd’hui : recherche dans le "
                   "réseau social d’entreprise par mots-clés, puis regarde qui répond le plus "
                   "souvent dans les groupes thématiques. Les profils sont souvent incomplets, "
                   "alors pensez à renseigner vos compétences !",
                   "On teste aussi un moteur de recherche d’expertise qui s’appuie sur les "
                   "réponses réellement publiées plutôt que sur les profils déclaratifs."),
            comments=(comment("Q", "Merci, j'ai trouvé deux personnes à Nantes via le groupe "
                                   "QHSE."),),
            accept=0),
        ask("en", "How do we keep community groups alive after the launch buzz?",
            "knowledge-management communities animation",
            "Our engineering community had 50 posts in the first month and three in the last one.",
            answer("E",
                   "Communities need three things: a named animator with time for it, a rhythm (a "
                   "monthly call and a short digest), and fast answers, because an unanswered "
                   "question is the quickest way to kill participation.",
                   "Expect the 90-9-1 pattern: most members read, few write. That's fine if the "
                   "readers find what they need."),
            answer("E2",
                   "J’ajouterais : invitez les experts à répondre nommément. Un « @Julien, tu as "
                   "une idée ? » marche mieux qu’une question dans le vide.", lang="fr")),
        ask("fr", "Wiki, RSE ou SharePoint : où documenter une procédure ?",
            "knowledge-management documentation sharepoint",
            "Je ne sais jamais où mettre les choses. On a trois outils pour la même chose !",
            answer("E", "Une règle simple :",
                   "- procédure validée, qui engage l’entreprise : SharePoint (versionnée, "
                   "approuvée)\n"
                   "- savoir-faire technique qui évolue souvent : le wiki\n"
                   "- question, discussion, retour d’expérience : le réseau social d’entreprise",
                   "Et quand une discussion aboutit à une règle, on la formalise dans le bon outil "
                   "et on met le lien dans le fil."),
            accept=0),
        ask("en", "Capturing knowledge before someone retires",
            "knowledge-management transfert retraite",
            "One of our senior test engineers retires next year. How do we avoid losing what she "
            "knows?",
            answer("E",
                   "Start now, not in her last month. What worked for the SAP finance expert who "
                   "left last summer: a map of the critical knowledge with his manager, six "
                   "recorded sessions on the year-end closing, and a named successor who "
                   "co-answered questions with him for three months.",
                   "His answers in the finance group are still the most read pages on SAP."),
            accept=0, days=(30, 180)),
        ask("fr", "Mesurer l’usage du réseau social d’entreprise : quels indicateurs ?",
            "rse indicateurs knowledge-management",
            "La direction me demande un tableau de bord. Le nombre de posts, ça suffit ?",
            answer("E", "Le volume seul ne dit pas grand-chose. Je suivrais plutôt :",
                   "- la part de contributeurs actifs (au moins une contribution dans le mois)\n"
                   "- le délai de première réponse aux questions\n"
                   "- la part de questions résolues (réponse acceptée)\n"
                   "- la diversité des sites et des métiers qui participent",
                   "Et quelques histoires concrètes : un problème client résolu grâce à un fil, "
                   "c’est ce qui convainc un comité de direction.")),
        ask("mixed", "Lexique bilingue pour le RSE / bilingual glossary?",
            "knowledge-management glossaire bilingue",
            "Entre « recette » et « staging », « devis » et « quote »… Could we build a shared "
            "glossary so that search works in both languages?",
            answer("p-james",
                   "Great idea. Let's start a page in the KM group with the 50 terms people "
                   "search most. Claire has the search logs.", lang="en"),
            answer("p-claire",
                   "Oui, je partage la liste des requêtes sans résultat, c’est souvent un "
                   "problème de vocabulaire.", lang="fr"),
            comments=(comment("p-genevieve", "Bonne idée ! À Montréal on dit « billet » pour un "
                              "ticket Zendesk, and our English speakers say "
                              "'case'. À ajouter.", lang="mixed"),)),
        ask("mixed",
            "Migration vers la nouvelle version de la plateforme : what changes for group owners?",
            "rse plateforme migration",
            "On m'a parlé d'une migration de la plateforme au printemps. Will we lose the group "
            "files? Et les questions marquées comme résolues ?"),
        ask("fr", "Faut-il modérer les groupes ouverts ?", "rse moderation charte",
            "Un message un peu vif a été publié dans le groupe du site. Qui doit intervenir ?",
            answer("E",
                   "D’abord l’animateur du groupe, en message privé, pour désamorcer. La charte "
                   "d’utilisation du RSE prévoit la suppression des contenus injurieux par les "
                   "administrateurs, mais c’est rarissime : la plupart du temps une discussion "
                   "directe suffit.")),
    ),
)

TOPICS = (SAP, EXPENSES, GDPR, ONBOARDING, TELEWORK, KNOWLEDGE)

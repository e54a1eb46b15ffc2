"""Hand-written Q&A threads: quality, safety, Orvalis support, and the private and secret groups.

Canary words (see ``canaries.py``) appear here only in the threads of their own group.
"""

from __future__ import annotations

from indexer.sample.spec import Topic, answer, ask, comment

QUALITY = Topic(
    "qualité iso 9001", "g-qhse",
    experts={"p-olivier": 1},
    askers=("p-hugo", "p-yann", "p-mathieu", "p-antoine", "p-benoit", "p-pierre", "p-alice",
            "p-genevieve"),
    threads=(
        ask("fr", "Non-conformité fournisseur : quel formulaire ?",
            "qualite non-conformite fournisseur iso-9001",
            "On a reçu 200 joints toriques hors tolérance. Je déclare ça où ?",
            answer("E", "Fiche NC dans l’outil qualité, module Non-conformités, catégorie « "
                   "fournisseur ». Joins les relevés de contrôle et les photos, et mets le lot en "
                   "quarantaine (étiquette rouge, zone NC du magasin).",
                   "Si c’est la deuxième fois en six mois pour ce fournisseur, on lui demande un "
                   "8D ; je m’en occupe avec les achats."),
            accept=0),
        ask("fr", "Préparer l’audit de surveillance ISO 9001 de mars", "qualite audit iso-9001",
            "Première fois que je suis pilote de processus pendant un audit. À quoi dois-je "
            "m’attendre ?",
            answer("E", "L’auditeur va regarder pour ton processus :",
                   "- les indicateurs et leur tendance sur douze mois\n"
                   "- les actions correctives ouvertes et la preuve de leur efficacité\n"
                   "- la maîtrise des documents (bonne version au poste de travail)\n"
                   "- les compétences : qui est habilité à quoi",
                   "On fait une répétition la semaine d’avant, avec un audit à blanc d’une heure. "
                   "Pas de stress : l’audit vérifie le système, pas les personnes."),
            accept=0),
        ask("en", "Correction vs corrective action: what's the difference?",
            "quality iso-9001 corrective-action",
            "The auditor wrote that we did a correction but no corrective action. Isn't it the "
            "same thing?",
            answer("E",
                   "A correction fixes the nonconformity itself: you rework the forty valve bodies "
                   "with the wrong bore. A corrective action removes the cause so it does not "
                   "happen again: check the CNC program at each change of series, train the "
                   "operators. ISO 9001 clause 10.2 requires both, plus checking that the action "
                   "was effective."),
            accept=0),
        ask("fr", "Où ranger les modes opératoires de l'atelier ?",
            "qualite documentation iso-9001",
            "Les modes opératoires d'assemblage sont dans un classeur papier et sur un disque "
            "réseau. Laquelle est la bonne version ?",
            answer("E",
                   "Aucune des deux, en théorie : la version de référence est dans la GED qualité, "
                   "avec un numéro d’indice et une approbation. Au poste, on affiche une "
                   "impression datée ou mieux, la tablette qui ouvre directement la GED. Je passe "
                   "à l’atelier jeudi pour faire le tri avec toi.")),
        ask("fr", "5 pourquoi ou Ishikawa pour l’analyse des causes ?",
            "qualite analyse-causes amelioration-continue",
            "Pour les fuites sur les vannes DN80, l’équipe hésite entre les deux méthodes.",
            answer("E",
                   "Les deux se complètent : l’Ishikawa (les 5M) pour ouvrir largement les causes "
                   "possibles en groupe, puis les 5 pourquoi sur les deux ou trois causes les plus "
                   "probables pour remonter à la cause racine. Et on vérifie chaque hypothèse par "
                   "des faits, pas par des avis."),
            answer("O", "Sur la ligne 2 on a fait l'Ishikawa au tableau blanc, ça a bien marché.")),
        ask("en", "Does the Montréal office need to be in the ISO 9001 certificate scope?",
            "quality iso-9001 montreal",
            "Customers in Canada ask whether our support activity there is certified."),
        ask("fr", "Étalonnage des clés dynamométriques : quelle fréquence ?",
            "qualite metrologie etalonnage",
            "Les clés de l'assemblage ont une étiquette d'étalonnage de 2023. C'est encore valable "
            "?",
            answer("E", "Non : la périodicité est d’un an pour les clés dynamométriques (ou 5 000 "
                   "cycles). Retire-les et dépose-les au labo de métrologie, il y a des clés de "
                   "remplacement. Note les numéros : si une clé est hors tolérance, on doit "
                   "évaluer l’impact sur les produits assemblés depuis le dernier étalonnage."),
            accept=0),
    ),
)

SAFETY = Topic(
    "sécurité sur site", "g-qhse",
    experts={"p-mathieu": 3, "p-yann": 1},
    askers=("p-hugo", "p-benoit", "p-pierre", "p-olivier", "p-antoine", "p-kevin", "p-chloe",
            "p-alice"),
    threads=(
        ask("fr", "EPI obligatoires dans la zone d’essais hydrauliques", "securite epi essais",
            "Je vais passer une semaine au banc d’essais à Nantes. Quels équipements de protection "
            "?",
            answer("p-mathieu",
                   "Lunettes de sécurité, chaussures S3 et protections auditives (on dépasse 85 "
                   "dB(A) près des pompes). Pour les essais au-delà de 100 bar, visière en plus et "
                   "personne dans l’axe des raccords pendant la mise en pression. Les EPI sont "
                   "fournis à l’accueil sécurité."),
            accept=0, group="g-nantes"),
        ask("fr", "Consignation avant intervention sur le banc d'essai",
            "securite consignation loto",
            "Quelle est la procédure exacte avant de démonter une vanne sur le banc ?",
            answer("p-mathieu", "La consignation en cinq étapes :",
                   "- séparer : couper l’alimentation électrique et fermer les vannes d’isolement\n"
                   "- condamner avec ton cadenas personnel\n"
                   "- identifier avec l’étiquette à ton nom\n"
                   "- purger : la pression résiduelle hydraulique est le piège classique\n"
                   "- vérifier l’absence d’énergie (manomètre à zéro, essai de démarrage)",
                   "Personne d’autre ne retire ton cadenas. La procédure complète est affichée au "
                   "banc."),
            comments=(comment("Q", "Merci, c'est beaucoup plus clair que le classeur."),),
            accept=0, group="g-nantes"),
        ask("en", "Visiting the Nantes plant with a customer: safety induction?",
            "safety visitors nantes",
            "I'm bringing two customers from Thames Water to see the test benches next month.",
            answer("E", "All visitors get the 15-minute safety induction at reception, then hi-vis "
                   "vest, safety glasses and overshoes. They stay escorted by you the whole time "
                   "and don't enter the machining area while machines run. Send me the names two "
                   "days before so badges are ready."),
            accept=0),
        ask("fr", "Déclarer un presque-accident : c’est anonyme ?",
            "securite presque-accident prevention",
            "Un collègue a failli recevoir une palette mal cerclée. Il n’ose pas le déclarer.",
            answer("p-mathieu",
                   "La fiche « situation dangereuse / presque-accident » peut être anonyme, mais "
                   "le plus important est qu’elle soit faite : il n’y a aucune sanction pour une "
                   "remontée. Chaque fiche est traitée en réunion sécurité le lundi, et le "
                   "déclarant reçoit un retour s’il a laissé son nom. C’est comme ça qu’on évite "
                   "le vrai accident."),
            accept=0),
        ask("fr", "Chariot élévateur : qui a le droit de conduire ?", "securite caces chariot",
            "Je dois déplacer des caisses de pièces entre deux bâtiments. J’ai le CACES d’un "
            "ancien emploi.",
            answer("p-yann",
                   "Il faut un CACES R489 valide pour la bonne catégorie (catégorie 3 pour nos "
                   "chariots) ET une autorisation de conduite signée par le directeur d’usine "
                   "après visite médicale. Apporte ton CACES au service HSE, on vérifie et on fait "
                   "l’autorisation.")),
        ask("en", "Working alone in the test lab after 7pm?", "safety lone-worker lab",
            "Some endurance tests need checks in the evening. Can I stay alone in the lab?",
            answer("p-mathieu",
                   "Not without a lone-worker device (DATI): it raises an alarm if you fall or "
                   "stop moving. Borrow one from the security desk, and no hazardous operations "
                   "(pressure tests, lifting) when alone: those wait for the next day."),
            accept=0),
        ask("fr", "Le défibrillateur du bâtiment B a été déplacé ?", "securite defibrillateur",
            "Il n'est plus à côté de la machine à café. Quelqu'un sait où il "
            "est ?", group="g-nantes"),
        ask("fr", "Exercice d’évacuation : que faire des visiteurs en salle de réunion ?",
            "securite evacuation",
            "Lors du dernier exercice, deux visiteurs sont restés en salle 3.",
            answer("E", "La personne qui reçoit est responsable de ses visiteurs jusqu’au point de "
                   "rassemblement. Les guides et serre-files vérifient les salles, mais ne "
                   "comptent pas sur eux. On en reparle au débriefing jeudi."),
            answer("p-yann", "Et le registre d'accueil sert à l'appel au point de rassemblement : "
                   "pensez à signer la sortie.")),
        ask("fr", "Huile hydraulique usagée : quelle benne ?", "environnement dechets",
            "Après la vidange du banc 3, on a deux fûts d’huile usagée. On les met où ?"),
    ),
)

SUPPORT = Topic(
    "support client orvalis", "g-orvalis",
    experts={"p-kevin": 3, "p-genevieve": 2, "p-lucas": 1},
    askers=("p-benoit", "p-chloe", "p-oliver", "p-hugo", "p-alice", "p-camille", "p-ryan"),
    threads=(
        ask("en", "OV-300 actuator shows error E14 after firmware update",
            "orvalis ov-300 firmware support",
            "A customer in Leeds updated three actuators to 3.2.1 and they all show E14.",
            answer("p-kevin",
                   "E14 means the position sensor calibration is lost. Run the auto-calibration "
                   "from Orvalis Connect (Device > Maintenance > Calibrate) with the valve "
                   "unloaded; it takes about two minutes.",
                   "Known issue: 3.2.1 resets the calibration when upgrading from 2.x. It's fixed "
                   "in 3.2.2, so tell customers to go straight to 3.2.2."),
            comments=(comment("Q", "Calibration done remotely, all three are back. Thanks!"),),
            accept=0, days=(150, 200)),
        ask("fr", "Client qui ne reçoit plus les alertes par SMS", "orvalis alertes sms support",
            "Un exploitant de Trois-Rivières dit qu’il ne reçoit plus les SMS d’alarme depuis "
            "mars.",
            answer("p-genevieve",
                   "Vérifie dans la console que le numéro est au format international (+1 "
                   "819…). Depuis mars, notre fournisseur SMS rejette les numéros au format local. "
                   "Si le format est bon, escalade au niveau 2 avec l’identifiant du compte."),
            accept=0),
        ask("en", "Orvalis Hub cannot reach Modbus TCP devices", "orvalis hub modbus support",
            "The Hub shows all the customer's PLCs as offline after they changed their network.",
            answer("p-kevin",
                   "Checklist: port 502 open between the Hub and the PLCs, right unit ID per "
                   "device, and the PLC's allowed-clients list. In this case I'd bet on the last "
                   "one: after a network change the Hub's new IP is often not allowed on the PLC "
                   "side. The Hub's diagnostic page has a 'Modbus probe' button to test one "
                   "register."),
            answer("O", "Same case last month in Sherbrooke, it was the allowed-clients list.")),
        ask("fr", "Délai de réponse contractuel pour un client Premium ?",
            "support sla premium zendesk",
            "Je prépare une offre : quels délais on garantit en Premium ?",
            answer("p-genevieve",
                   "P1 (installation à l’arrêt) : réponse en 1 h, 24/7. P2 : 4 h ouvrées. P3 : "
                   "jour ouvré suivant. Dans Zendesk, le SLA s’applique automatiquement avec le "
                   "tag `premium` sur l’organisation du client."),
            accept=0),
        ask("en", "Return (RMA) process for a faulty valve under warranty", "support rma garantie",
            "A distributor wants to send back an OV-200 that leaks at the stem.",
            answer("p-genevieve",
                   "Open an RMA from the Zendesk ticket (macro 'RMA - warranty'): it generates the "
                   "return number and the shipping label. Ask for photos and the serial number "
                   "first; stem leaks on early OV-200s are often fixed on site with the seal kit, "
                   "which saves everyone two weeks."),
            accept=0),
        ask("fr", "Le Hub Orvalis perd l’heure après une coupure de courant",
            "orvalis hub ntp support",
            "Après chaque coupure, les horodatages des alarmes sont décalés.",
            answer("E", "Le Hub n’a pas de pile pour l’horloge : il se resynchronise par NTP au "
                   "démarrage. Si le réseau du client bloque le port UDP 123, il repart du 1er "
                   "janvier. Configure le serveur NTP interne du client dans Réglages > Heure, ou "
                   "ouvre le flux vers pool.ntp.org.")),
        ask("en", "Will Orvalis support OPC UA?", "orvalis roadmap opc-ua",
            "Two prospects in the water sector require OPC UA instead of Modbus.",
            answer("p-lucas",
                   "Yes: an OPC UA server on the Hub is planned for release 4.0. Beta in "
                   "spring for a few pilot customers; send me the prospects' names."),
            comments=(comment("p-genevieve", "Super nouvelle ! Two of our Québec customers asked "
                              "for OPC UA too.", lang="mixed"),),
            accept=None),
        ask("fr", "OV-200 sur une ancienne platine ISO 5211 F07 ?", "orvalis ov-200 compatibilite",
            "Un client veut remplacer des actionneurs pneumatiques par des OV-200 sans changer les "
            "vannes. Leurs platines sont en F07 : il existe un adaptateur ?"),
        ask("fr", "Macro Zendesk pour les demandes de devis de pièces détachées ?",
            "support zendesk pieces-detachees",
            "On reçoit beaucoup de demandes de prix pour des kits de joints. Il existe une macro "
            "?"),
        ask("en", "Customer asks for the Kv value of an OV-200 DN50", "orvalis ov-200 kv",
            "Quick one: what is the Kv of the DN50 ball valve with the OV-200?",
            answer("O", "I think the datasheet says 63?"),
            answer("p-kevin",
                   "Kv 160 m³/h fully open for the DN50 ball valve; 63 is the DN32. The curves "
                   "are in the product datasheet on the partner portal, section 4."),
            accept=1),
        ask("mixed", "Client francophone, ticket en anglais : on répond en quelle langue ?",
            "support langue zendesk",
            "A customer from Gatineau writes in English but his signature is in French. "
            "Est-ce qu’on a une règle ?",
            answer("p-genevieve", "On répond dans la langue du dernier message du client. Zendesk "
                   "détecte la langue, and the macros exist in both languages. Au Québec, pour "
                   "tout document contractuel, le français est obligatoire.", lang="mixed"),
            accept=0),
    ),
)

# Private group of the S/4HANA project: its canaries are brundelac and ombrivane.
HORIZON = Topic(
    "projet horizon", "g-horizon",
    experts={"p-isabelle": 3, "p-bernard": 2},
    askers=("p-karim", "p-nicolas", "p-francois", "p-thomas", "p-nadia"),
    threads=(
        ask("fr", "Lot Brundelac : reprend-on les fournisseurs inactifs ?",
            "horizon migration fournisseurs",
            "Pour le lot Brundelac (données fournisseurs), on reprend les fournisseurs sans "
            "mouvement depuis 2019 ou pas ?",
            answer("p-isabelle",
                   "Non : on ne reprend que les fournisseurs avec au moins un mouvement sur les "
                   "trois derniers exercices, soit environ 1 800 sur 5 200. Les autres sont "
                   "archivés et restent consultables dans l’ancien système. Le chargement "
                   "Brundelac se fait avec le cockpit de migration (LTMC)."),
            comments=(comment("Q", "Parfait, je nettoie la liste avant la répétition Brundelac."),),
            accept=0, days=(60, 250)),
        ask("en", "Ombrivane cutover weekend: who signs off the trial balance?",
            "horizon cutover finance",
            "For the Ombrivane cutover rehearsal, who validates the trial balance before we "
            "reopen?",
            answer("p-isabelle",
                   "Karim and Nicolas compare the trial balance per company code between the old "
                   "system and S/4; François signs off. The Ombrivane checklist has the exact "
                   "timing: Sunday 14:00 at the latest."),
            accept=0, days=(22, 44)),
        ask("fr", "Interface achats : mapping des codes TVA", "horizon tva interface",
            "Les codes TVA ne sont pas les mêmes dans S/4. Qui fait la table de correspondance ?",
            answer("p-bernard",
                   "Je l’ai commencée : elle est dans le dossier du projet, onglet « TVA ». Il "
                   "manque les codes d’autoliquidation pour les achats intra-UE ; je la termine "
                   "avant mon départ à la retraite fin juin."),
            days=(200, 260), accept=0),
    ),
)

# Shared with the partner's guests: its canaries are kessivor and plumtacle.
KESTREL = Topic(
    "kestrel integration", "g-kestrel",
    experts={"p-kevin": 3, "p-lucas": 2},
    askers=("p-ian", "p-fiona", "p-oliver"),
    crowd=("p-genevieve", "p-oliver", "p-antoine"),
    threads=(
        ask("en", "Kessivor pilot: Modbus register map for the OV-300",
            "kessivor modbus integration",
            "For the Kessivor pilot our SCADA needs the full register map of the OV-300 through "
            "the Hub. Is the v3 map final?",
            answer("E", "Yes, v3 is final for firmware 3.2.x: holding registers 40001-40016 for "
                   "setpoints, input registers 30001-30024 for position, torque and diagnostics. "
                   "I've uploaded the spreadsheet to the group files. Poll at 1 s at most, the Hub "
                   "caches values at that rate."),
            asker="p-ian", accept=0, days=(120, 150)),
        ask("en", "Plumtacle harness: three timeouts per hour on the Hub",
            "kessivor plumtacle testing",
            "Our Plumtacle test harness polls 24 actuators through one Hub and we see about three "
            "Modbus timeouts per hour.",
            answer("E",
                   "24 actuators at 200 ms each is more than the Hub's serial side can handle on "
                   "one RS-485 segment. Either poll at 1 s, or split the actuators over two "
                   "segments. With Plumtacle at 1 s I'd expect zero timeouts."),
            answer("p-ian", "Confirmed: Plumtacle at 1 s, no timeout over a weekend run."),
            asker="p-ian", accept=0, days=(70, 110)),
        ask("en", "Kessivor factory acceptance test date?", "kessivor fat planning",
            "Our client wants to attend the FAT. Can we fix a date?",
            answer("p-lucas",
                   "We propose the week of 16 March at the Nantes plant, test benches 2 and 3. "
                   "Kestrel's team and the Kessivor client are welcome; safety induction on "
                   "arrival."),
            asker="p-fiona", accept=None, days=(15, 60)),
    ),
)

# Secret group of the executive committee: its canaries are zorbaflux and quintarel.
CODIR = Topic(
    "codir", "g-codir",
    experts={"p-helene": 2, "p-francois": 2},
    askers=("p-antoine", "p-yann"),
    threads=(
        ask("fr", "Quintarel : faut-il impliquer les équipes R&D dans la due diligence ?",
            "quintarel acquisition",
            "Pour évaluer les capteurs de Zorbaflux, j'aurais besoin de deux ingénieurs de Nantes. "
            "Comment on leur présente le sujet sans tout dévoiler ?",
            answer("p-helene", "Oui, mais sous accord de confidentialité individuel et sans citer "
                   "Zorbaflux : présentez-le comme l’évaluation d’un fournisseur de capteurs. Le "
                   "nom de code Quintarel reste limité au comité."),
            asker="p-antoine", accept=0, days=(20, 50)),
    ),
)

TOPICS = (QUALITY, SAFETY, SUPPORT, HORIZON, KESTREL, CODIR)

"""Hand-written Q&A threads: DevOps, Python packaging, machine learning, Excel/Power BI."""

from __future__ import annotations

from indexer.sample.spec import Topic, answer, ask, comment

DEVOPS = Topic(
    "ci-cd & kubernetes", "g-devops",
    experts={"p-thomas": 3, "p-sarah": 2},
    askers=("p-camille", "p-julien", "p-priya", "p-kevin", "p-lucas", "p-ryan", "p-pierre",
            "p-alice"),
    threads=(
        ask("fr", "Pod en CrashLoopBackOff après le déploiement de l'API devis",
            "kubernetes crashloopbackoff recette",
            "Depuis le merge de ce matin, le pod `api-devis` redémarre en boucle "
            "(CrashLoopBackOff). Les logs affichent juste `exit code 137`. Quelqu'un a une idée ? "
            "On est sur le cluster de recette.",
            answer("E", "Exit code 137, c’est le conteneur tué par l’OOM killer. Vérifie avec "
                   "`kubectl describe pod api-devis-xxx` : tu dois voir `Reason: OOMKilled`. La "
                   "limite mémoire est à 256Mi dans le chart, or la nouvelle version charge tout "
                   "le référentiel tarifaire en mémoire au démarrage.",
                   "- augmente `resources.limits.memory` à 512Mi dans `values-recette.yaml`\n"
                   "- ajoute une `readinessProbe` pour ne pas recevoir de trafic avant la fin du "
                   "chargement\n"
                   "- à terme, charge le référentiel à la demande",
                   "C’est le cas classique, on en a parlé au dernier café DevOps."),
            answer("O", "Chez nous c'était une variable d'environnement manquante dans le secret, "
                   "regarde aussi de ce côté-là."),
            comments=(comment("Q", "C'était bien OOMKilled, la limite à 512Mi suffit. "
                                   "Merci !", on=0),),
            accept=0),
        ask("en", "How do we cache pip dependencies in GitLab CI?", "gitlab-ci cache pip ci-cd",
            "Our pipeline for the Orvalis cloud backend spends four minutes installing "
            "dependencies on every job. Is there a recommended way to cache pip downloads between "
            "jobs and pipelines on the shared runners?",
            answer("p-thomas",
                   "Yes: point `PIP_CACHE_DIR` inside the project and declare it as a cache whose "
                   "key is your lock file:",
                   "```yaml\nvariables:\n  PIP_CACHE_DIR: \"$CI_PROJECT_DIR/.cache/pip\"\ncache:\n"
                   "  key:\n    files: [requirements.lock]\n  paths: [.cache/pip]\n```",
                   "The cache is only invalidated when the lock file changes. On the shared "
                   "runners it lives in the MinIO bucket, so it works across runners too. The "
                   "quotation service went from 4 minutes to 40 seconds."),
            answer("p-sarah",
                   "+1. If you build a Docker image anyway, another option is a base image with "
                   "the dependencies, rebuilt nightly by a scheduled GitLab CI pipeline, so each "
                   "job only runs `pip install .` for your own package."),
            accept=0),
        ask("fr", "Deployment ou StatefulSet pour notre PostgreSQL ?",
            "kubernetes postgresql statefulset",
            "On veut héberger la base PostgreSQL de l'outil de planification sur le cluster. J'ai "
            "lu qu'il fallait un StatefulSet, mais pourquoi pas un Deployment avec un PVC ?",
            answer("E",
                   "Un StatefulSet donne à chaque pod une identité stable (`pg-0`, `pg-1`) et son "
                   "propre volume via `volumeClaimTemplates`, avec un ordre de démarrage garanti. "
                   "Avec un Deployment, deux pods peuvent monter le même volume pendant un rolling "
                   "update et corrompre les données.",
                   "Cela dit, pour une base de production je te conseille plutôt l’opérateur "
                   "**CloudNativePG**, déjà utilisé pour le SI qualité : sauvegardes, bascule et "
                   "montées de version sont gérées pour toi.")),
        ask("en", "Helm values per environment: best practice?", "helm kubernetes configuration",
            "We have dev, recette (staging) and prod. Right now we copy-paste the whole "
            "values.yaml for each environment and they drift. What's the cleanest approach?",
            answer("p-sarah",
                   "Keep one `values.yaml` with sane defaults and a small override file per "
                   "environment (`values-dev.yaml`, `values-recette.yaml`, `values-prod.yaml`) "
                   "holding only what differs: replicas, resources, hostnames. Then `helm upgrade "
                   "--install api ./chart -f values.yaml -f values-prod.yaml`.",
                   "Never put secrets in values files: the External Secrets operator pulls them "
                   "from Vault. And run `helm diff upgrade` in the merge request pipeline so "
                   "reviewers see what will change in the cluster.")),
        ask("fr",
            "Pipeline bloqué : « This job is stuck because you don't have any active runners »",
            "gitlab-ci runners",
            "Mon projet a été déplacé dans le groupe `rd/orvalis` et depuis, tous les jobs restent "
            "en pending avec ce message. Il faut demander quelque chose à la DSI ?",
            answer("E",
                   "Les runners partagés sont activés par groupe. Dans Settings > CI/CD > Runners, "
                   "coche « Enable shared runners for this project ». Si tes jobs ont `tags: "
                   "[docker]`, vérifie aussi que le runner du groupe porte ce tag : ceux de `rd/` "
                   "sont taggés `k8s`. Remplace par `tags: [k8s]` et ça repart."),
            answer("O", "Même chose pour moi la semaine dernière, c'était les tags."),
            accept=0),
        ask("en", "kubectl: 'You must be logged in to the server (Unauthorized)'",
            "kubernetes kubectl sso",
            "Since Monday I cannot use kubectl on the staging cluster. My kubeconfig hasn't "
            "changed.",
            answer("E",
                   "Cluster authentication moved to OIDC through Entra ID last weekend (see the "
                   "announcement in the feed). Install the `kubelogin` plugin, regenerate your "
                   "kubeconfig with `az aks get-credentials --resource-group rg-staging --name "
                   "aks-staging`, then run any kubectl command: a browser window opens for the "
                   "login. Static tokens were revoked."),
            comments=(comment("Q", "Works, thanks. Maybe pin that announcement?"),),
            accept=0, days=(205, 210)),
        ask("fr", "Déploiement canary avec Argo Rollouts ?",
            "kubernetes argo-rollouts canary deploiement",
            "Pour la prochaine version de l'API Orvalis Connect, on aimerait envoyer 10 % du "
            "trafic sur la nouvelle version avant de basculer. C'est faisable avec notre stack ?",
            answer("E", "Oui, Argo Rollouts est installé sur le cluster de prod. Tu remplaces ton "
                   "`Deployment` par un `Rollout` avec une stratégie canary :",
                   "```yaml\nstrategy:\n  canary:\n    steps:\n    - setWeight: 10\n"
                   "    - pause: {duration: 1h}\n    - setWeight: 50\n    - pause: {}\n```",
                   "Le `pause: {}` attend une promotion manuelle (`kubectl argo rollouts promote "
                   "api-connect`). On peut aussi brancher une analyse Prometheus sur le taux "
                   "d'erreurs 5xx pour revenir en arrière automatiquement.")),
        ask("en", "Should we move the firmware builds from Jenkins to GitLab CI?",
            "ci-cd jenkins gitlab-ci firmware",
            "The Orvalis firmware is still built by the old Jenkins box under a desk in Nantes. "
            "Any reason not to migrate to GitLab CI like everyone else?",
            answer("E",
                   "The only blocker was the ARM compiler licence, node-locked to that machine. "
                   "The vendor now sells floating licences; once we have one, the build can run in "
                   "a container on a dedicated runner.",
                   "I wrote a migration plan: about two weeks of work, mostly rewriting the Groovy "
                   "scripts as `.gitlab-ci.yml` stages (build, unit tests on the simulator, "
                   "signing, publish to the artifact registry)."),
            answer("O", "Please do, that Jenkins machine crashed twice during the last release."),
            accept=None),
        ask("fr", "Renouvellement des certificats TLS de l'ingress : qui s'en occupe ?",
            "kubernetes tls cert-manager",
            "L'alerte dit que le certificat de `*.recette.valtorre.example` expire dans 5 jours. "
            "C'est automatique ou il faut le faire à la main ?",
            answer("E",
                   "C’est automatique : cert-manager renouvelle 30 jours avant l’expiration. Si "
                   "l’alerte tombe à J-5, c’est que le renouvellement échoue. `kubectl describe "
                   "certificate wildcard-recette -n ingress` donne la raison ; la dernière fois, "
                   "le challenge DNS échouait parce que le jeton de l’API DNS avait expiré. Je "
                   "regarde."),
            comments=(comment("A0", "Corrigé : nouveau jeton DNS, certificat renouvelé.", on=0),),
            accept=0),
        ask("en", "Terraform state locked after a cancelled pipeline",
            "terraform ci-cd infrastructure-as-code",
            "I cancelled a pipeline during `terraform apply` and now every plan fails with "
            "'Error acquiring the state lock'. How do I get out of this safely?",
            answer("E", "First make sure nobody else is applying (check running pipelines on the "
                   "`infra` project). Then take the lock ID from the error message and run "
                   "`terraform force-unlock <LOCK_ID>` from the same backend configuration.",
                   "Afterwards run a plan: a cancelled apply can leave resources half created. To "
                   "avoid it next time, mark the apply job `interruptible: false` so GitLab never "
                   "cancels it.")),
        ask("fr", "Quelqu'un a déjà comparé Tekton et GitLab CI ?", "ci-cd tekton kubernetes",
            "Par curiosité : est-ce que quelqu'un a testé Tekton pour des pipelines qui tournent "
            "directement dans Kubernetes ? Intérêt par rapport à nos runners GitLab ?"),
        ask("en", "Is there a Grafana dashboard for the GitLab runners?",
            "gitlab-ci runners monitoring",
            "Jobs seem to wait longer in the queue in the morning. Can we see runner load "
            "somewhere?"),
        ask("en", "Ingress returns 502 Bad Gateway after scaling to zero", "kubernetes ingress",
            "The demo environment scales down at night. In the morning the first requests get a "
            "502 from the ingress for a minute or so.",
            answer("p-sarah",
                   "The ingress sends traffic as soon as the pod is Running, before your app "
                   "listens. Add a `readinessProbe` on `/healthz`; the endpoint only joins the "
                   "Service when the probe passes, so no more 502. A `startupProbe` helps if the "
                   "JVM is slow to boot."),
            answer("O", "We had the same with the planning tool, the readiness probe fixed it.")),
    ),
)

PYTHON = Topic(
    "python packaging", "g-python",
    experts={"p-julien": 1},
    askers=("p-camille", "p-priya", "p-ines", "p-kevin", "p-hugo", "p-ryan", "p-pierre"),
    crowd=("p-camille", "p-priya", "p-ines", "p-kevin"),
    threads=(
        ask("fr", "setup.py ou pyproject.toml pour un nouveau projet ?",
            "python packaging pyproject",
            "Je démarre la bibliothèque de calcul de pertes de charge. Les anciens projets ont un "
            "setup.py, la doc recommande pyproject.toml. On fait quoi ?",
            answer("E",
                   "Pour le packaging : pyproject.toml, sans hésiter. Depuis la PEP 621, les "
                   "métadonnées (nom, version, dépendances) vont dans la table `[project]` et le "
                   "backend de build se déclare dans `[build-system]`. On utilise hatchling par "
                   "défaut :",
                   "```toml\n"
                   "[build-system]\n"
                   "requires = [\"hatchling\"]\n"
                   "build-backend = \"hatchling.build\"\n"
                   "\n[project]\n"
                   "name = \"valtorre-hydro\"\n"
                   "version = \"0.1.0\"\n"
                   "dependencies = [\"numpy>=1.26\"]\n"
                   "```",
                   "Le setup.py n’est plus utile que pour une extension C compliquée. Le modèle de "
                   "projet est dans `python/templates` sur GitLab."),
            accept=0),
        ask("en", "How do I publish our internal package to the private index?",
            "python packaging gitlab pypi",
            "We want to share the `orvalis-protocol` parsing library between the support tools and "
            "the cloud backend. Where do we publish it and how do people install it?",
            answer("E",
                   "Use the package registry of the `rd/python` GitLab group, it speaks the PyPI "
                   "protocol. In CI: `python -m build`, then `twine upload` to "
                   "`$CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/pypi` with "
                   "`TWINE_USERNAME=gitlab-ci-token` and `TWINE_PASSWORD=$CI_JOB_TOKEN`.",
                   "Consumers configure the group registry once as `extra-index-url` in "
                   "`pip.conf`. Tag releases with semantic versions; the pipeline only publishes "
                   "on tags."),
            accept=0),
        ask("fr", "ImportError: attempted relative import with no known parent package",
            "python import packaging",
            "Quand je lance `python src/valtorre_hydro/cli.py` j'ai cette erreur, alors que les "
            "tests passent.",
            answer("E",
                   "Tu exécutes le fichier comme un script, donc Python ne sait pas qu’il fait "
                   "partie d’un paquet. Installe le projet en mode éditable (`pip install -e .`) "
                   "puis lance `python -m valtorre_hydro.cli`, ou mieux, déclare un point d’entrée "
                   ":",
                   "```toml\n[project.scripts]\nhydro = \"valtorre_hydro.cli:main\"\n```",
                   "Tu auras une commande `hydro` dans ton venv."),
            answer("O",
                   "Also check that the tests import the installed package and not `src/` "
                   "directly, otherwise they hide this kind of problem.", lang="en"),
            accept=0),
        ask("en", "Pinning dependencies: requirements.txt, pip-tools or uv?",
            "python dependencies uv pip-tools",
            "For the forecasting service I need reproducible environments. What does the team use "
            "for lock files?",
            answer("E", "Applications lock, libraries don't. Libraries declare ranges in "
                   "`pyproject.toml` (`pandas>=2.1`). Applications generate a lock file: we moved "
                   "from pip-tools to `uv pip compile pyproject.toml -o requirements.lock` because "
                   "it is much faster, and CI installs with `uv pip sync requirements.lock`.",
                   "Renovate opens a merge request every Monday to refresh the locks.")),
        ask("fr", "Wheels manylinux pour notre extension Cython ?", "python packaging cython wheel",
            "Le module de calcul du Kv est en Cython. Sous Linux, les collègues doivent compiler à "
            "l’installation et ça échoue sans gcc. Comment distribuer des wheels précompilées ?",
            answer("E", "cibuildwheel fait exactement ça : il construit dans les images manylinux "
                   "officielles et produit des wheels `manylinux_2_28_x86_64` installables sans "
                   "compilateur. Branche-le dans le pipeline GitLab sur les tags (job "
                   "docker-in-docker) ; pour Windows, il y a le runner Windows de Nantes. Publie "
                   "aussi le sdist.")),
        ask("en", "Single source of truth for the version number?", "python packaging versioning",
            "Our package version lives in pyproject.toml, in `__init__.py` and in the docs config, "
            "and they drift. How do we keep only one?",
            answer("E", "Let the git tag be the source. With hatchling add `hatch-vcs` "
                   "(`[tool.hatch.version] source = \"vcs\"`); with setuptools use "
                   "`setuptools-scm`. At runtime read it with "
                   "`importlib.metadata.version(\"valtorre-hydro\")` instead of a hard-coded "
                   "`__version__`."),
            answer("O", "We did this on orvalis-protocol last month, works nicely.")),
        ask("fr", "Conda ou venv pour les postes de l'équipe calcul ?", "python conda licence",
            "Les ingénieurs calcul de Nantes utilisent Anaconda, mais les conditions de licence "
            "ont changé. Quelqu'un sait ce qu'on a le droit de faire ?"),
        ask("en", "Is Poetry still allowed for new projects?", "python packaging poetry",
            "A few older services use Poetry. Should new projects avoid it?"),
        ask("en", "Editable install does not see my new subpackage", "python packaging editable",
            "I added `valtorre_hydro/solvers/` but `import valtorre_hydro.solvers` fails in my "
            "venv even though I installed with `pip install -e .`.",
            answer("E",
                   "With the modern editable installs (PEP 660) some backends map the package list "
                   "at install time. Check that the new folder has an `__init__.py` (or is listed "
                   "in `[tool.hatch.build.targets.wheel] packages`) and reinstall with `pip "
                   "install -e .`. Using the `src/` layout avoids most of these surprises.")),
        ask("fr", "Publier la doc de nos bibliothèques internes ?", "python documentation mkdocs",
            "Où est-ce qu'on héberge la documentation des paquets Python internes ? Sphinx ou "
            "MkDocs ?",
            answer("E",
                   "MkDocs avec le thème Material et mkdocstrings pour l’API. Le pipeline publie "
                   "sur GitLab Pages à chaque tag ; l’URL est dans le README du modèle de "
                   "projet.")),
    ),
)

MACHINE_LEARNING = Topic(
    "machine learning", "g-data",
    experts={"p-priya": 3, "p-ines": 2},
    askers=("p-emma", "p-camille", "p-julien", "p-lucas", "p-kevin", "p-hugo", "p-ryan"),
    threads=(
        ask("en", "Predictive maintenance on valve telemetry: where to start?",
            "machine-learning predictive-maintenance orvalis",
            "Product wants a first predictive maintenance feature for the OV-300 actuators. We "
            "have two years of telemetry from the Hub. Where would you start?",
            answer("E",
                   "Start with labels: failures from the RMA database joined with the telemetry "
                   "(cycle counts, motor torque, temperature, supply voltage). Without reliable "
                   "failure dates no model will help.",
                   "Then gradient boosting (LightGBM) on windowed features is a strong machine "
                   "learning baseline before any deep learning. Evaluate with time-based splits, "
                   "never random splits, or you will leak the future into training."),
            comments=(comment("Q", "Very helpful, we'll start with the RMA join."),),
            accept=0),
        ask("fr", "Jeu de données déséquilibré : 1 % de pannes",
            "machine-learning desequilibre classification",
            "Mon classifieur de pannes affiche 99 % d'accuracy… parce qu'il prédit toujours « pas "
            "de panne ». Comment on gère ça ?",
            answer("E",
                   "Oublie l’accuracy : regarde la précision, le rappel et surtout l’aire sous la "
                   "courbe précision-rappel (PR-AUC). Ensuite :",
                   "- `class_weight=\"balanced\"` ou un poids sur la classe panne\n"
                   "- choisis le seuil de décision selon le coût d’une fausse alerte vs une panne "
                   "ratée\n"
                   "- le sur-échantillonnage (SMOTE) aide rarement sur des séries temporelles",
                   "Et valide toujours sur une période postérieure à l’entraînement."),
            accept=0),
        ask("en", "Where do we track ML experiments?", "machine-learning mlflow mlops",
            "I have a dozen notebooks with different feature sets and I am losing track of which "
            "run gave which score. Do we have an MLflow server?",
            answer("E",
                   "Yes, `https://mlflow.data.valtorre.example`. Set `MLFLOW_TRACKING_URI`, call "
                   "`mlflow.autolog()` at the top of your training script and every run logs its "
                   "parameters, metrics and model. Register the model you deploy in the model "
                   "registry so the serving job picks it by alias (`@champion`).")),
        ask("fr", "Prévision de la demande de pièces détachées : ARIMA ou ML ?",
            "machine-learning prevision series-temporelles",
            "Pour les joints et les cartes électroniques on a des ventes très irrégulières : "
            "beaucoup de mois à zéro puis des pics. ARIMA donne n'importe quoi.",
            answer("E", "C’est de la demande intermittente : ARIMA n’est pas fait pour ça. Essaie "
                   "Croston ou sa variante TSB (dans `statsforecast`), qui prévoient séparément la "
                   "taille et la fréquence des commandes. Pour beaucoup de références, un modèle "
                   "global LightGBM avec des variables calendaires marche bien aussi.",
                   "Mesure l’erreur avec le MASE plutôt que le MAPE, qui explose quand la demande "
                   "vaut zéro.")),
        ask("en", "Drift alert on the torque anomaly detector", "machine-learning drift monitoring",
            "The monitoring job flags strong drift on the torque features since last week and the "
            "anomaly rate tripled. Nothing changed in the model.",
            answer("E", "Check the firmware: version 3.2 doubled the torque sampling rate, so the "
                   "windowed features (mean, peak, rolling std) shifted. The population stability "
                   "index jumps on exactly those features.",
                   "Short term, resample to the old rate before feature extraction. Longer term, "
                   "retrain with firmware version as a feature."),
            answer("E2",
                   "Agree. We should also version the feature pipeline with the firmware release "
                   "notes so this is caught before deployment."), days=(20, 140)),
        ask("fr", "GPU disponibles pour entraîner un modèle de vision ?",
            "machine-learning gpu vision",
            "Je voudrais tester la détection de défauts de surface sur les corps de vanne à partir "
            "des photos du contrôle qualité. On a des GPU quelque part ?",
            answer("E",
                   "Deux nœuds GPU (A100) sur le cluster data, réservables via la file `gpu` de "
                   "Slurm. Pour un premier essai, un modèle pré-entraîné (ResNet ou YOLO) affiné "
                   "sur quelques centaines de photos annotées suffit ; demande un accès à Nadia.")),
        ask("fr", "Des recommandations de cours sur le deep learning ?",
            "machine-learning formation",
            "Je cherche une formation en ligne sérieuse pour démarrer, idéalement en français."),
        ask("en", "Can we use an LLM to summarise long support tickets?",
            "machine-learning llm support",
            "Some Zendesk tickets have 40 messages. A summary for the level 2 team would save "
            "time.",
            answer("E",
                   "Technically yes, but customer data cannot go to a public API: the DPO asked us "
                   "to use the Azure OpenAI instance in the EU region only. We have a small "
                   "prototype in the data team; happy to demo it.", lang="en"),
            answer("O", "Interested too, for the RMA reports.")),
    ),
)

EXCEL_BI = Topic(
    "excel & power bi", "g-data",
    experts={"p-emma": 3, "p-nicolas": 3, "p-karim": 2},
    askers=("p-marie", "p-alice", "p-francois", "p-oliver", "p-yann", "p-hugo", "p-lucas",
            "p-sophie",
            "p-laura"),
    threads=(
        ask("fr", "RECHERCHEV renvoie #N/A alors que la valeur existe", "excel recherchev formules",
            "Dans mon fichier de suivi des commandes, RECHERCHEV me renvoie #N/A pour des "
            "références que je vois pourtant dans l'autre onglet.",
            answer("p-nicolas",
                   "Deux causes classiques : des espaces en fin de cellule, ou des nombres stockés "
                   "en texte d’un côté et en nombre de l’autre. Teste "
                   "`=RECHERCHEV(SUPPRESPACE(A2);Commandes!A:F;3;FAUX)` et vérifie le 4e argument "
                   ": sans FAUX, Excel cherche une correspondance approchée.",
                   "Si tu as Microsoft 365, passe à RECHERCHEX, plus robuste et qui cherche aussi "
                   "à gauche."),
            accept=0),
        ask("en",
            "Power BI refresh fails: 'The credentials provided for the SQL source are invalid'",
            "power-bi gateway refresh",
            "The sales dashboard stopped refreshing overnight. The error mentions invalid "
            "credentials for the SQL source but nobody changed anything.",
            answer("p-emma",
                   "The Power BI dataset goes through the on-premises data gateway, and the "
                   "service account password was rotated on Friday. Go to Settings > Manage "
                   "gateways > the SQL data source and enter the new credentials (ask IT for the "
                   "vault entry). Then trigger a refresh manually.",
                   "I've asked IT to warn us before the next rotation."),
            accept=0),
        ask("fr", "Tableau croisé dynamique : regrouper les dates par mois",
            "excel tableau-croise-dynamique",
            "Mon TCD affiche une ligne par jour, je voudrais un total par mois et par année.",
            answer("p-karim",
                   "Clic droit sur une date dans le TCD > Grouper, puis sélectionne Mois et Années "
                   "(les deux, sinon janvier 2024 et janvier 2025 sont additionnés). Si « Grouper "
                   "» est grisé, c’est qu’une cellule de la colonne n’est pas une vraie date : "
                   "filtre les vides et les textes.")),
        ask("en", "DAX: year-to-date that respects a fiscal year starting in April",
            "power-bi dax time-intelligence",
            "UK entities report on an April-March fiscal year. My YTD measure resets in January.",
            answer("p-emma", "Pass the year-end date to `TOTALYTD`:",
                   "```\nSales YTD = TOTALYTD([Sales], 'Date'[Date], \"03-31\")\n```",
                   "It only works with a proper date table marked as such (Table tools > Mark as "
                   "date table). Add a fiscal year column to the same table for the slicers."),
            accept=0),
        ask("fr", "Macro VBA trop lente sur 50 000 lignes", "excel vba performance",
            "Ma macro de consolidation met 20 minutes. Elle parcourt les lignes une par une et "
            "copie les valeurs dans l'onglet de synthèse.",
            answer("p-nicolas", "Trois leviers, dans l’ordre d’efficacité :",
                   "- charge la plage dans un tableau `Variant` en mémoire, travaille dessus, puis "
                   "réécris-le en une seule fois\n"
                   "- `Application.ScreenUpdating = False` et `Application.Calculation = "
                   "xlCalculationManual` pendant le traitement\n"
                   "- évite `Select` et `Activate`",
                   "Avec le tableau en mémoire, on passe en général de minutes à quelques "
                   "secondes. Pour une vraie consolidation, Power Query serait encore plus "
                   "simple."),
            accept=0),
        ask("en", "Sharing a Power BI report with people outside the finance workspace",
            "power-bi sharing security",
            "Plant managers should see the cost dashboard for their own site only.",
            answer("p-emma",
                   "Publish an app from the workspace and give the plant managers access to the "
                   "app, not the workspace. For 'their own site only', define row-level security "
                   "in the model (a role filtering 'Site'[Code] with `USERPRINCIPALNAME()` against "
                   "a mapping table) and assign the security group to the role."),
            answer("O", "Good to know, we were sending PDF exports by email until now.")),
        ask("fr", "Power Query : fusionner 12 fichiers mensuels", "excel power-query consolidation",
            "Chaque mois je reçois un export CSV des achats. Je voudrais un seul tableau à jour "
            "sans copier-coller.",
            answer("E",
                   "Données > Obtenir des données > À partir d’un fichier > À partir d’un dossier. "
                   "Pointe le dossier des exports, clique sur « Combiner et transformer » : Power "
                   "Query empile tous les fichiers et ajoute une colonne avec le nom du fichier. "
                   "Le mois suivant, dépose le nouveau CSV et clique sur Actualiser."),
            comments=(comment("Q", "Génial, ça marche même avec les fichiers de Nantes."),)),
        ask("fr", "Calculer des jours ouvrés entre deux dates", "excel formules dates",
            "Pour le suivi des délais fournisseurs, je voudrais le nombre de jours ouvrés, jours "
            "fériés français exclus.",
            answer("p-karim",
                   "`=NB.JOURS.OUVRES.INTL(B2;C2;1;Feries!A:A)` : le 1 indique un week-end "
                   "samedi-dimanche et l’onglet Feries contient la liste des jours fériés. Pour "
                   "Montréal, fais un second onglet avec les jours fériés du Québec.")),
        ask("en", "Power BI Pro or Premium licence: who do I ask?", "power-bi licence",
            "I need to publish a report for about 60 people. Who handles Power BI licences?"),
        ask("fr", "Mise en forme conditionnelle qui ralentit tout le classeur", "excel performance",
            "Le fichier de planning de Nantes est devenu très lent, chaque saisie prend plusieurs "
            "secondes.",
            answer("E", "Regarde Accueil > Mise en forme conditionnelle > Gérer les règles : les "
                   "copier-coller dupliquent les règles par centaines. Supprime-les et recrée une "
                   "règle unique sur toute la plage. Vérifie aussi les fonctions volatiles comme "
                   "`DECALER` ou `AUJOURDHUI` répétées sur des milliers de lignes.")),
    ),
)

TOPICS = (DEVOPS, PYTHON, MACHINE_LEARNING, EXCEL_BI)

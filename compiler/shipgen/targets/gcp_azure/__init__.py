"""What the GCP and Azure packages share: `settings.py` (the typed `platform.gcp` /
`platform.azure` model and its traffic plan, built during normalize) and `common.py` (labels,
ARM helpers and the step-by-step rollout script those platforms run)."""

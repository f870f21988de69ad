"""The WebUI checks: the stack they run against (:mod:`.stack`), the browser (:mod:`.browser`)
and what the provider form must show (:mod:`.form`). The CLI is ``tools/webui_check.py``."""

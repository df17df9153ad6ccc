"""RTE's data portal: one application's session, credentials, quota and cache, and one source
built from parts (``source``), which ``ecowatt`` and ``tempo`` each fill with their download,
parser, schedule and words."""

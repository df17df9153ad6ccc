"""The composition root: the one place that knows every concrete part, one module per concern.

Front ends get what is concrete only from here: ``service`` (wire and run a service),
``files`` (the configuration file, the state directory and what is stored in it), ``remote``
(the running service over its socket), ``sources`` (forecast and Tempo sources), ``boards``
(relay boards, Phidget discovery) and ``mqtt`` (the broker connection). This package imports
nothing itself, so that `delestage --help` loads none of them.
"""

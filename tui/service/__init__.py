"""The service: the controller that owns the board, its state, events and control socket."""

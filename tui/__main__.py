from tui.frontends.cli import main

raise SystemExit(main())

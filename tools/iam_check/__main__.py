from tools.iam_check.cli import main

raise SystemExit(main())

import sys

from xuncha_shared.provision.cli import main

sys.exit(main())

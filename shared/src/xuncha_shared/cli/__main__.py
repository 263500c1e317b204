from xuncha_shared.cli import main

main()

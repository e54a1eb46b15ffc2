from quisait.cli import main

main()

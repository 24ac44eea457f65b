from nansei.cli import main

main()

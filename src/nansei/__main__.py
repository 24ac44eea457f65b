from nansei.entry import main

main()

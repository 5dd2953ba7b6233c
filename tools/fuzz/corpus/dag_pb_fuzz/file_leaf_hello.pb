
hello world

3
$U ฉHO/G—iK0K.ัมอ*ภ๛…าก’คG	hello.txt


	../target
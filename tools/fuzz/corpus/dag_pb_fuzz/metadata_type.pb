

text/plain
module chartgate.local/pause

go 1.22

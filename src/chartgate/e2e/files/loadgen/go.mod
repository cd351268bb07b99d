module chartgate.local/e2e/loadgen

go 1.24

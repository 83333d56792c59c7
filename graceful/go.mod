module github.com/shipsafe/shipsafe/graceful

go 1.24.0

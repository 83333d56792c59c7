module github.com/shipsafe/shipsafe/testapps

go 1.24.0

require github.com/shipsafe/shipsafe/graceful v0.0.0

replace github.com/shipsafe/shipsafe/graceful => ../graceful

module livslang.dk/migrations

go 1.26

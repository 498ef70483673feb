module goroexamples

go 1.26

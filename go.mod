module github.com/cardmod/cardmod

go 1.26

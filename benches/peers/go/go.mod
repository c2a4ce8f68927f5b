module tricolorpeers

go 1.27

"""Ad sizes, rate cards and money: pure, typed, standard library only."""

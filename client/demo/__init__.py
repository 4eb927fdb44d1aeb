"""`fireside demo`: practise alone with Sam, a scripted partner on the real protocol."""


hi
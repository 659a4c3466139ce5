"""诚信码 integrity codes: signed code tokens, QR images and printable posters."""

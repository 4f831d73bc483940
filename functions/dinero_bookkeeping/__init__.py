"""Books handled webshop orders into Dinero as sales invoices (AWS Lambda functions)."""

-- Number held for the customer-scoping migration that lands with the portal's customers.
SELECT 1;

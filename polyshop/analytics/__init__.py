"""Product-view analytics: views and cart additions as time series, sales per product,
trending products and a view -> cart -> order funnel."""

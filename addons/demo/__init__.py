"""The offline demo: its data (`load_demo_data`) and the DEBUG-only "Sign in as a Heroku
customer" page. Development only: nothing here serves a production portal (the page answers 404
unless DEBUG is on), and nothing else in the portal imports it."""

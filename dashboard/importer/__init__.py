"""`meridian import`: a company's CRM exports (CSV, Excel) into Meridian's own store.

One module per concern: `files` reads exports, `presets` recognises the usual CRMs' exports by their
headers, `mapping` reads a mapping file, `fields` says what each Meridian entity takes,
`vocabularies` maps the source's spellings onto Meridian's values, `countries` turns country names
and codes into ISO 3166 alpha-2, `parsing` reads dates and numbers, `convert` turns source rows into
Meridian rows, `keys` keeps source ids stable as integer ids, `link` resolves references between
entities, `store` writes one transaction into a Meridian store (never into a CRM), `report` says what
happened, `run` ties them together, `cli` is the command. See docs/import.md.
"""

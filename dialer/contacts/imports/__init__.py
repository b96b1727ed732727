"""A contact file's way in: `files` checks and cuts it, `rows` turns a block into contacts,
`worker` runs that in processes of its own, `stores` writes, `run` drives one import and
`jobs` is what requests see.
"""

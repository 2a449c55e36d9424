"""The workflow editor's language server (`procflow lsp`) and the language work behind it.

folder.py    the workspace's files as the editor has them, checked as `procflow check` checks them
spans.py     where a key or value ends, read from the document's lines
names.py     every declaration and use of the folder's names (statuses, events, intrays ...)
language.py  hover, definition, references, outline, "did you mean" fixes: plain functions
completion.py  what may be written at the cursor
server.py    the pygls server: translates between the protocol and the functions above
"""

"""The methods and capability names iquest adds to LSP, shared by the server and its clients."""

# Client → server hints of where the next request will come, so the model warms up there.
DID_MOVE_CURSOR = "iquest/didMoveCursor"
DID_CHANGE_VISIBLE_RANGE = "iquest/didChangeVisibleRange"

# Server → client: a block shown with its first lines has the rest; ask again at that place and get all of
# it. Sent only to a client that lists GREW_CAPABILITY in its experimental capabilities.
SUGGESTION_GREW = "iquest/suggestionGrew"
GREW_CAPABILITY = "iquestSuggestionGrew"

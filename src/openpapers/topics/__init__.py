"""Topics: the corpus clustered from its stored embeddings, labelled with distinctive phrases, laid out on a 2-D
map, browsed (``/topics``, ``/topic/{id}``), followed and searched (``topic:``). See docs/topics.md."""

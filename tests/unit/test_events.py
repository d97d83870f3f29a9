from polyshop.eventstore.events import AppendResult, EventMetadata


def test_metadata_round_trips_and_omits_what_is_unknown():
    meta = EventMetadata(correlation_id="r1", actor="u1")

    assert meta.to_dict() == {"correlation_id": "r1", "actor": "u1"}
    assert EventMetadata.from_dict(meta.to_dict()) == meta
    assert EventMetadata.from_dict(None) == EventMetadata()
    assert EventMetadata.from_dict({}) == EventMetadata()


def test_append_result_position_is_the_last_written():
    assert AppendResult("s", 3, (7, 8, 9)).position == 9
    assert AppendResult("s", 0).position == 0

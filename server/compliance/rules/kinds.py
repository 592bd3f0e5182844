"""Every payload kind of the contract, read from the schema (no list kept by hand)."""

from typing import get_args

from schemas.events import CorrectablePayload, RecordCorrected


def _kinds() -> frozenset[str]:
    union = get_args(CorrectablePayload)[0]  # Annotated[Union[...], discriminator]
    models = [*get_args(union), RecordCorrected]
    return frozenset(str(m.model_fields["kind"].default) for m in models)


ALL_KINDS: frozenset[str] = _kinds()

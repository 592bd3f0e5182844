"""Regulator analytics: where weight went, and what looks like diversion.

Connecticut's system is there "to prevent unlawful diversion" and to "project future
inventory, and identify any potential diversion" (REGULATOR-ACCESS). This package reads the
accepted record and never writes it:

- :mod:`.balance`: the mass balance of each harvest batch (pure): wet weight in; waste, dry and
  net weight, packages out; what is left; each figure with the events behind it, in exact
  ``Decimal`` grams;
- :mod:`.robust`: median and MAD, the statistics the signals compare with (one wild harvest
  cannot move them the way it moves a mean);
- :mod:`.signals`: pure detectors, each turning balances or weights into signals with a
  plain-language explanation, a score and the events that raised it;
- :mod:`.refused`, :mod:`.hours`, :mod:`.receipts`: pure detectors of conduct rather than
  weight: tag uses the tag rules refused, destruction and waste at the licensee's quiet hours,
  transfers received at another weight than manifested;
- :mod:`.culling`: plant batches of which far more was destroyed before harvest than the
  licensee's other batches (phantom destruction leaves no weight to balance);
- :mod:`.manual`: harvest batch weights typed in at a station that has a scale;
- :mod:`.audits`: pure detectors over recorded physical audits: their variances, the trend of
  the weight found missing, destruction and waste crowded into the week before an audit;
- :mod:`.source`: reads a licensee's accepted events from the log (and its refused tag uses)
  and feeds them to the above.
"""

"""The demo (`appliance run --demo`): its capture codes and its scripted subject."""

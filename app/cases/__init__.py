"""Cases (referrals): the pro-forma, attachments, the lifecycle, comments, and who may see them."""

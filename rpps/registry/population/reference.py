"""Reference data for the synthetic population: French names, communes, streets (public facts)."""

# Family names, upper case as the registry stores them; accents, hyphens, apostrophes, particles.
FAMILY_NAMES = (
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFÈVRE LEROY ROUX DAVID "
    "BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT MÜLLER LEFEBVRE FAURE ANDRÉ "
    "MERCIER BLANC GUÉRIN BOYER GARNIER CHEVALIER FRANÇOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLÉMENT MORIN "
    "NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOËL MEYER DUFOUR "
    "MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIÈRE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GÉRARD ROCHE RENARD "
    "SCHMITT ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE "
    "BOURGEOIS PIERRE BENOÎT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT "
    "BERGER CARPENTIER SANCHEZ DUPUIS MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET "
    "ADAM PARIS POIRIER MARTY AUBRY GUYOT CARRÉ CHARLES RENAULT CHARPENTIER MÉNARD MAILLARD BARON BERTIN BAILLY "
    "HERVÉ SCHNEIDER FERNANDEZ LE_GALL COLLET LÉGER BOUVIER JULIEN PRÉVOST MILLET PERROT DANIEL LE_ROUX COUSIN "
    "GERMAIN BRETON BESSON LANGLOIS RÉMY LE_GOFF PELLETIER LÉVÊQUE PERRIER LEBLANC BARRÉ LEBRUN MARCHAL WEBER "
    "MALLET HAMON BOULANGER JACOB MONNIER MICHAUD RODRIGUEZ GUICHARD GILLET ÉTIENNE GRONDIN POULAIN TESSIER CHEVALLIER "
    "COLLIN CHAUVIN DA_SILVA BOUCHET GAY LEMAÎTRE BÉNARD MARÉCHAL HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHÉLEMY "
    "CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER CARLIER LAPORTE N'DIAYE D'ALMEIDA L'HÔTE D'ARGENT "
    "N'GUESSAN OUÉDRAOGO NGUYEN TRAN BEN_AMAR EL_KHATIB HADDAD BENSAÏD DIALLO KONÉ"
).split()
# "_" joins the words of one name in the list above.
FAMILY_NAMES = tuple(name.replace("_", " ") for name in FAMILY_NAMES)

PARTICLES = ("DE", "DU", "DE LA", "DES", "D'")

GIVEN_NAMES_F = (
    "Marie Nathalie Isabelle Sylvie Catherine Sophie Christine Valérie Sandrine Véronique Stéphanie Céline Julie "
    "Aurélie Émilie Camille Léa Chloé Manon Inès Anaïs Hélène Élodie Aurore Maëlle Noémie Zoé Clémence Solène "
    "Agnès Françoise Bénédicte Gaëlle Laëtitia Mélanie Océane Pauline Margaux Justine Hafsa Fatoumata Yasmine "
    "Anne Claire Louise Jeanne Rose Alice Eugénie Joséphine Cécile Béatrice Geneviève Irène Maëva"
).split()
GIVEN_NAMES_M = (
    "Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Stéphane Laurent Frédéric Éric Olivier Julien "
    "Sébastien Thomas Antoine Hugo Lucas Louis Gabriel Raphaël Théo Noé Léo Mathéo Maël Jérôme Hervé Benoît Grégoire "
    "Loïc Cédric Mickaël Jérémie Timothée Noël Joël Gaël Yannick François Étienne Adrien Rémi Amaury Mohamed Youssef "
    "Mamadou Karim Paul Jacques Henri Charles Marc Luc André René Gérard Félix"
).split()
COMPOUND_F = ("Marie-Claire", "Anne-Sophie", "Marie-Hélène", "Marie-Ève", "Anne-Laure", "Marie-Noëlle", "Rose-Marie")
COMPOUND_M = ("Jean-Pierre", "Jean-Christophe", "Pierre-Yves", "Jean-Luc", "Jean-François", "Paul-Émile", "Marc-Antoine")

# (COG code, postal code, commune, department code, department label)
COMMUNES = (
    ("75056", "75012", "Paris", "75", "Paris"),
    ("13055", "13005", "Marseille", "13", "Bouches-du-Rhône"),
    ("69123", "69003", "Lyon", "69", "Rhône"),
    ("31555", "31000", "Toulouse", "31", "Haute-Garonne"),
    ("06088", "06000", "Nice", "06", "Alpes-Maritimes"),
    ("44109", "44000", "Nantes", "44", "Loire-Atlantique"),
    ("67482", "67000", "Strasbourg", "67", "Bas-Rhin"),
    ("34172", "34000", "Montpellier", "34", "Hérault"),
    ("33063", "33000", "Bordeaux", "33", "Gironde"),
    ("59350", "59000", "Lille", "59", "Nord"),
    ("35238", "35000", "Rennes", "35", "Ille-et-Vilaine"),
    ("51454", "51100", "Reims", "51", "Marne"),
    ("42218", "42000", "Saint-Étienne", "42", "Loire"),
    ("76351", "76600", "Le Havre", "76", "Seine-Maritime"),
    ("83137", "83000", "Toulon", "83", "Var"),
    ("38185", "38000", "Grenoble", "38", "Isère"),
    ("21231", "21000", "Dijon", "21", "Côte-d'Or"),
    ("49007", "49000", "Angers", "49", "Maine-et-Loire"),
    ("30189", "30000", "Nîmes", "30", "Gard"),
    ("69266", "69100", "Villeurbanne", "69", "Rhône"),
    ("63113", "63000", "Clermont-Ferrand", "63", "Puy-de-Dôme"),
    ("72181", "72000", "Le Mans", "72", "Sarthe"),
    ("13001", "13090", "Aix-en-Provence", "13", "Bouches-du-Rhône"),
    ("29019", "29200", "Brest", "29", "Finistère"),
    ("37261", "37000", "Tours", "37", "Indre-et-Loire"),
    ("80021", "80000", "Amiens", "80", "Somme"),
    ("87085", "87000", "Limoges", "87", "Haute-Vienne"),
    ("74010", "74000", "Annecy", "74", "Haute-Savoie"),
    ("66136", "66000", "Perpignan", "66", "Pyrénées-Orientales"),
    ("25056", "25000", "Besançon", "25", "Doubs"),
    ("25462", "25300", "Pontarlier", "25", "Doubs"),
    ("57463", "57000", "Metz", "57", "Moselle"),
    ("45234", "45000", "Orléans", "45", "Loiret"),
    ("76540", "76000", "Rouen", "76", "Seine-Maritime"),
    ("14118", "14000", "Caen", "14", "Calvados"),
    ("54395", "54000", "Nancy", "54", "Meurthe-et-Moselle"),
    ("2A004", "20000", "Ajaccio", "2A", "Corse-du-Sud"),
    ("2B033", "20200", "Bastia", "2B", "Haute-Corse"),
    ("97411", "97400", "Saint-Denis", "974", "La Réunion"),
    ("97209", "97200", "Fort-de-France", "972", "Martinique"),
    ("86194", "86000", "Poitiers", "86", "Vienne"),
    ("17300", "17000", "La Rochelle", "17", "Charente-Maritime"),
    ("64445", "64000", "Pau", "64", "Pyrénées-Atlantiques"),
    ("84007", "84000", "Avignon", "84", "Vaucluse"),
    ("29232", "29000", "Quimper", "29", "Finistère"),
    ("56260", "56000", "Vannes", "56", "Morbihan"),
    ("10387", "10000", "Troyes", "10", "Aube"),
    ("73065", "73000", "Chambéry", "73", "Savoie"),
    ("68224", "68100", "Mulhouse", "68", "Haut-Rhin"),
    ("49099", "49300", "Cholet", "49", "Maine-et-Loire"),
    ("94038", "94240", "L'Haÿ-les-Roses", "94", "Val-de-Marne"),
    ("94028", "94000", "Créteil", "94", "Val-de-Marne"),
    ("51108", "51000", "Châlons-en-Champagne", "51", "Marne"),
    ("78646", "78000", "Versailles", "78", "Yvelines"),
    ("92050", "92000", "Nanterre", "92", "Hauts-de-Seine"),
    ("93008", "93000", "Bobigny", "93", "Seine-Saint-Denis"),
    ("95127", "95000", "Cergy", "95", "Val-d'Oise"),
)
# Larger communes weigh more when placing structures and births.
COMMUNE_WEIGHTS = tuple(12 if i == 0 else 5 if i < 10 else 2 for i in range(len(COMMUNES)))

# (INSEE country code, one city) for people born abroad.
COUNTRIES_ABROAD = (
    ("99109", "Berlin"),
    ("99134", "Madrid"),
    ("99127", "Rome"),
    ("99131", "Bruxelles"),
    ("99139", "Porto"),
    ("99350", "Casablanca"),
    ("99352", "Alger"),
    ("99351", "Tunis"),
    ("99341", "Dakar"),
    ("99132", "Londres"),
    ("99114", "Bucarest"),
)

STREET_TYPES = (("R", "Rue"), ("AV", "Avenue"), ("BD", "Boulevard"), ("PL", "Place"), ("CHE", "Chemin"), ("FG", "Faubourg"))
STREET_NAMES = (
    "DE LA RÉPUBLIQUE",
    "VICTOR HUGO",
    "JEAN JAURÈS",
    "DU GÉNÉRAL DE GAULLE",
    "PASTEUR",
    "DES LILAS",
    "DE L'HÔPITAL",
    "SAINT-ÉTIENNE",
    "GAMBETTA",
    "DE LA PAIX",
    "NOTRE-DAME",
    "DU 8 MAI 1945",
    "D'ALSACE-LORRAINE",
    "ÉMILE ZOLA",
    "DES ÉCOLES",
)
